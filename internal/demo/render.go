package demo

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

const (
	siteName   = "Harbor Lights"
	marketName = "Driftwood Market"
)

const style = `body{font-family:Verdana,sans-serif;background:#15181c;color:#d6d6d6;margin:0}
a{color:#7fb3e0}header.site-header{background:#222831;padding:8px 16px}
.logo{font-size:20px;font-weight:bold;color:#f0c674}nav.main-nav a{margin-left:14px}
main{padding:12px 16px}.post{border:1px solid #333;margin:8px 0;padding:8px}
.post-author{font-weight:bold}.post-date{color:#888;margin-left:8px;font-size:11px}
table.list{width:100%;border-collapse:collapse}table.list td{border-bottom:1px solid #333;padding:4px}
.price{color:#b5bd68;font-weight:bold}.pagination a{margin:0 3px}footer.site-footer{padding:12px 16px;color:#777;font-size:11px}`

// render is the HTML of page ord. It allocates a fresh slice per call and
// reads only immutable state.
func (s *Site) render(ord int) []byte {
	ref := s.refs[ord]
	plants := s.plantsFor(ord)
	var b strings.Builder
	b.Grow(8 << 10)
	title, crumbs := s.titleOf(ref)
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="HarborBB 2.4">
<title>`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(" | " + siteName + "</title>\n<style>" + style + "</style>\n</head>\n<body id=\"top\">\n")
	b.WriteString(`<header class="site-header"><a class="logo" href="/">` + siteName + `</a>`)
	b.WriteString(`<nav class="main-nav"><a href="/">Home</a>`)
	if s.cfg.hasForum() {
		b.WriteString(`<a href="/forum/` + boards[0].slug + `/">Forum</a>`)
	}
	if s.cfg.hasMarket() {
		b.WriteString(`<a href="/market/` + categories[0].slug + `/">` + marketName + `</a>`)
	}
	b.WriteString(`<span class="login">Guest</span></nav></header>` + "\n")
	b.WriteString(`<nav class="breadcrumb"><a href="/">Index</a>`)
	for _, c := range crumbs {
		b.WriteString(` &raquo; <a href="` + c[0] + `">` + html.EscapeString(c[1]) + `</a>`)
	}
	b.WriteString("</nav>\n<main>\n<h1>" + html.EscapeString(title) + "</h1>\n")
	switch ref.kind {
	case kindIndex:
		s.renderIndex(&b, plants)
		plants = nil
	case kindBoard:
		s.renderBoard(&b, int(ref.id), int(ref.page))
	case kindThread:
		s.renderThread(&b, int(ref.id), int(ref.page), plants)
		plants = nil
	case kindUser:
		s.renderUser(&b, int(ref.id))
	case kindCategory:
		s.renderCategory(&b, int(ref.id), int(ref.page))
	case kindListing:
		s.renderListing(&b, int(ref.id))
	case kindVendor:
		s.renderVendor(&b, int(ref.id))
	}
	if len(plants) > 0 {
		b.WriteString(`<section class="contacts"><h2>Contact</h2><ul>`)
		for _, p := range plants {
			b.WriteString("<li>" + p.html() + "</li>")
		}
		b.WriteString("</ul></section>\n")
	}
	for _, d := range s.decoysFor(ord) {
		b.WriteString(`<p class="notice">` + html.EscapeString(d.text) + "</p>\n")
	}
	for _, i := range s.pageImages[ord] {
		im := &s.images[i]
		fmt.Fprintf(&b, `<figure class="photo"><img src="%s" width="%d" height="%d" alt="photo %d"><figcaption>Photo %d</figcaption></figure>`+"\n",
			im.path, im.w, im.h, i, i)
	}
	b.WriteString("</main>\n<footer class=\"site-footer\"><p>" + siteName + " &copy; 2019&ndash;2024. Be respectful. No doxxing. Use escrow.</p>")
	b.WriteString(`<p>Page ` + strconv.Itoa(ord+1) + ` of ` + strconv.Itoa(len(s.refs)) + ` &middot; <a href="#top">Back to top</a></p></footer>` + "\n</body>\n</html>\n")
	return []byte(b.String())
}

// titleOf is a page's title and its breadcrumb trail after the index
// (path, label pairs).
func (s *Site) titleOf(r pageRef) (string, [][2]string) {
	pageSuffix := ""
	if r.page > 1 {
		pageSuffix = " (page " + strconv.Itoa(int(r.page)) + ")"
	}
	switch r.kind {
	case kindBoard:
		return boards[r.id].name + pageSuffix, nil
	case kindThread:
		b := boards[int(r.id)%len(boards)]
		return s.threadTitle(int(r.id)) + pageSuffix, [][2]string{{"/forum/" + b.slug + "/", b.name}}
	case kindUser:
		return "Profile: " + s.userName(int(r.id)), nil
	case kindCategory:
		return marketName + ": " + categories[r.id].name + pageSuffix, nil
	case kindListing:
		c := categories[int(r.id)%len(categories)]
		return s.listingTitle(int(r.id)), [][2]string{{"/market/" + c.slug + "/", c.name}}
	case kindVendor:
		return "Vendor: " + s.vendorName(int(r.id)), nil
	}
	return "Welcome to " + siteName, nil
}

func (s *Site) userName(u int) string {
	r := newRnd(s.cfg.Seed, keyUser, uint64(u))
	return r.pick(adjectives) + r.pick(nouns) + strconv.Itoa(u%97)
}

func (s *Site) vendorName(v int) string {
	r := newRnd(s.cfg.Seed, keyVendor, uint64(v))
	return r.pick(adjectives) + "-" + r.pick(nouns) + "-" + strconv.Itoa(v)
}

func (s *Site) threadTitle(t int) string {
	r := newRnd(s.cfg.Seed, keyThread, uint64(t))
	switch boards[t%len(boards)].slug {
	case "services", "documents", "travel":
		return fmt.Sprintf(r.pick(threadTitles), r.pick(services), r.pick(cities))
	}
	return fmt.Sprintf(r.pick(threadTitles), r.pick(jobs), r.pick(countries))
}

func (s *Site) listingTitle(l int) string {
	r := newRnd(s.cfg.Seed, keyListing, uint64(l))
	f := r.pick(listingAds)
	if categories[l%len(categories)].slug == "jobs" {
		return fmt.Sprintf(f, r.pick(jobs), r.pick(countries))
	}
	return fmt.Sprintf(f, r.pick(services), r.pick(cities))
}

func (s *Site) threadPath(t, page int) string {
	return paged("/forum/t/"+strconv.Itoa(t)+"/", int32(page))
}
func (s *Site) userPath(u int) string    { return "/forum/u/" + strconv.Itoa(u) + "-" + s.userName(u) }
func (s *Site) listingPath(l int) string { return "/market/listing/" + strconv.Itoa(l) }
func (s *Site) vendorPath(v int) string  { return "/market/vendor/" + s.vendorName(v) }

// author is the user who wrote post j of thread t; the first post's author
// is the thread starter, t modulo Users, so every user starts a thread.
func (s *Site) author(t, j int) int {
	if j == 0 {
		return t % s.cfg.Users
	}
	r := newRnd(s.cfg.Seed, keyPost, uint64(t), uint64(j))
	return r.intn(s.cfg.Users)
}

func date(r *rnd) string {
	return fmt.Sprintf("20%02d-%02d-%02d %02d:%02d", 21+r.intn(4), 1+r.intn(12), 1+r.intn(28), r.intn(24), r.intn(60))
}

func writeLink(b *strings.Builder, href, text string) {
	b.WriteString(`<a href="` + href + `">` + html.EscapeString(text) + `</a>`)
}

// writePager writes links to the first and last page and to pages at
// distances 1, 2, 10 and 100 from cur, so a breadth-first crawl reaches page
// p of a long list in a few hops.
func writePager(b *strings.Builder, base string, cur, total int) {
	if total <= 1 {
		return
	}
	b.WriteString(`<nav class="pagination">`)
	if cur > 1 {
		writeLink(b, paged(base, int32(cur-1)), "« Prev")
		b.WriteString(" ")
	}
	seen := map[int]bool{}
	var ps []int
	for _, d := range []int{-100, -10, -2, -1, 0, 1, 2, 10, 100} {
		ps = append(ps, cur+d)
	}
	ps = append([]int{1}, append(ps, total)...)
	for _, p := range ps {
		if p < 1 || p > total || seen[p] {
			continue
		}
		seen[p] = true
		if p == cur {
			b.WriteString(`<strong>` + strconv.Itoa(p) + `</strong> `)
			continue
		}
		writeLink(b, paged(base, int32(p)), strconv.Itoa(p))
		b.WriteString(" ")
	}
	if cur < total {
		writeLink(b, paged(base, int32(cur+1)), "Next »")
	}
	b.WriteString("</nav>\n")
}

func (s *Site) renderIndex(b *strings.Builder, plants []plant) {
	c := s.cfg
	b.WriteString(`<p class="intro">Welcome, guest. Read the rules before posting. Official contacts are listed below; anyone else claiming to be staff is not.</p>` + "\n")
	if c.hasForum() {
		b.WriteString(`<section class="boards"><h2>Forum</h2><table class="list">`)
		for i, bd := range boards {
			b.WriteString("<tr><td>")
			writeLink(b, "/forum/"+bd.slug+"/", bd.name)
			b.WriteString(`<br><small>` + bd.blurb + `</small></td><td>` + strconv.Itoa(countStrided(c.Threads, i, len(boards))) + ` threads</td></tr>`)
		}
		b.WriteString("</table></section>\n<section class=\"latest\"><h2>Latest threads</h2><ul>")
		for t := c.Threads - 1; t >= max(0, c.Threads-10); t-- {
			b.WriteString("<li>")
			writeLink(b, s.threadPath(t, 1), s.threadTitle(t))
			b.WriteString("</li>")
		}
		b.WriteString("</ul></section>\n")
	}
	if c.hasMarket() {
		b.WriteString(`<section class="categories"><h2>` + marketName + `</h2><table class="list">`)
		for i, ct := range categories {
			b.WriteString("<tr><td>")
			writeLink(b, "/market/"+ct.slug+"/", ct.name)
			b.WriteString(`<br><small>` + ct.blurb + `</small></td><td>` + strconv.Itoa(countStrided(c.Listings, i, len(categories))) + ` listings</td></tr>`)
		}
		b.WriteString("</table></section>\n<section class=\"featured\"><h2>Featured listings</h2><ul>")
		for l := range min(8, c.Listings) {
			b.WriteString("<li>")
			writeLink(b, s.listingPath(l), s.listingTitle(l))
			b.WriteString("</li>")
		}
		b.WriteString("</ul></section>\n")
	}
	b.WriteString(`<section class="contacts official"><h2>Official contacts</h2><ul>`)
	for _, p := range plants {
		b.WriteString("<li>" + p.html() + "</li>")
	}
	b.WriteString("</ul></section>\n")
}

func (s *Site) renderBoard(b *strings.Builder, bd, page int) {
	c := s.cfg
	n := countStrided(c.Threads, bd, len(boards))
	total := pagesOf(n, threadsPerBoardPage)
	base := "/forum/" + boards[bd].slug + "/"
	b.WriteString(`<p class="blurb">` + boards[bd].blurb + "</p>\n")
	writePager(b, base, page, total)
	b.WriteString(`<table class="list threads"><tr><th>Thread</th><th>Started by</th><th>Replies</th><th>Last post</th></tr>` + "\n")
	for i := (page - 1) * threadsPerBoardPage; i < min(n, page*threadsPerBoardPage); i++ {
		t := bd + i*len(boards)
		r := newRnd(c.Seed, keyThread, uint64(t), 1)
		b.WriteString(`<tr class="thread"><td>`)
		writeLink(b, s.threadPath(t, 1), s.threadTitle(t))
		if tp := pagesOf(c.PostsPerThread, postsPerThreadPage); tp > 1 {
			b.WriteString(" <small>[")
			writeLink(b, s.threadPath(t, tp), "last page")
			b.WriteString("]</small>")
		}
		b.WriteString("</td><td>")
		u := s.author(t, 0)
		writeLink(b, s.userPath(u), s.userName(u))
		b.WriteString("</td><td>" + strconv.Itoa(c.PostsPerThread-1) + "</td><td>" + date(&r) + "</td></tr>\n")
	}
	b.WriteString("</table>\n")
	writePager(b, base, page, total)
}

func (s *Site) renderThread(b *strings.Builder, t, page int, plants []plant) {
	c := s.cfg
	total := pagesOf(c.PostsPerThread, postsPerThreadPage)
	base := "/forum/t/" + strconv.Itoa(t) + "/"
	writePager(b, base, page, total)
	first, last := (page-1)*postsPerThreadPage, min(c.PostsPerThread, page*postsPerThreadPage)
	for j := first; j < last; j++ {
		r := newRnd(c.Seed, keyPost, uint64(t), uint64(j), 7)
		u := s.author(t, j)
		fmt.Fprintf(b, `<article class="post" id="p%d"><div class="post-author">`, j)
		writeLink(b, s.userPath(u), s.userName(u))
		b.WriteString(`<span class="post-date">` + date(&r) + `</span> <a class="permalink" href="#p` + strconv.Itoa(j) + `">#` + strconv.Itoa(j+1) + `</a></div><div class="post-body"><p>`)
		if j == 0 {
			b.WriteString(html.EscapeString(s.threadTitle(t)) + ". ")
		}
		for range 2 + r.intn(3) {
			b.WriteString(r.pick(sentences) + " ")
		}
		if r.chance(0.3) {
			fmt.Fprintf(b, "Price around €%d,%03d, order ref #A-%05d.", 1+r.intn(9), r.intn(1000), r.intn(100000))
		}
		b.WriteString("</p>")
		for k, p := range plants {
			if k%(last-first) == j-first {
				b.WriteString("<p>Contact me: " + p.html() + "</p>")
			}
		}
		b.WriteString("</div></article>\n")
	}
	writePager(b, base, page, total)
}

func (s *Site) renderUser(b *strings.Builder, u int) {
	c := s.cfg
	r := newRnd(c.Seed, keyUser, uint64(u), 2)
	b.WriteString(`<dl class="profile"><dt>Joined</dt><dd>` + date(&r) + `</dd><dt>Posts</dt><dd>` + strconv.Itoa(1+r.intn(900)) + `</dd><dt>Reputation</dt><dd>` + strconv.Itoa(r.intn(200)) + "</dd></dl>\n")
	b.WriteString(`<p class="bio">` + r.pick(sentences) + " " + r.pick(sentences) + "</p>\n")
	b.WriteString(`<section class="started"><h2>Threads started</h2><ul>`)
	for i, t := 0, u; i < maxThreadsOnProfile && t < c.Threads; i, t = i+1, t+c.Users {
		b.WriteString("<li>")
		writeLink(b, s.threadPath(t, 1), s.threadTitle(t))
		b.WriteString("</li>")
	}
	b.WriteString("</ul></section>\n")
}

func price(r *rnd) string {
	return fmt.Sprintf("$%d.%02d", 20+r.intn(2500), r.intn(100))
}

func (s *Site) renderCategory(b *strings.Builder, k, page int) {
	c := s.cfg
	n := countStrided(c.Listings, k, len(categories))
	total := pagesOf(n, listingsPerCatPage)
	base := "/market/" + categories[k].slug + "/"
	b.WriteString(`<p class="blurb">` + categories[k].blurb + "</p>\n")
	writePager(b, base, page, total)
	b.WriteString(`<table class="list listings"><tr><th>Listing</th><th>Vendor</th><th>Price</th></tr>` + "\n")
	for i := (page - 1) * listingsPerCatPage; i < min(n, page*listingsPerCatPage); i++ {
		l := k + i*len(categories)
		r := newRnd(c.Seed, keyListing, uint64(l), 1)
		v := l % c.Vendors
		b.WriteString(`<tr class="listing"><td>`)
		writeLink(b, s.listingPath(l), s.listingTitle(l))
		b.WriteString("</td><td>")
		writeLink(b, s.vendorPath(v), s.vendorName(v))
		b.WriteString(`</td><td class="price">` + price(&r) + "</td></tr>\n")
	}
	b.WriteString("</table>\n")
	writePager(b, base, page, total)
}

func (s *Site) renderListing(b *strings.Builder, l int) {
	c := s.cfg
	r := newRnd(c.Seed, keyListing, uint64(l), 1)
	v := l % c.Vendors
	ct := categories[l%len(categories)]
	b.WriteString(`<div class="listing-detail"><dl><dt>Price</dt><dd class="price">` + price(&r) + `</dd><dt>Vendor</dt><dd class="vendor">`)
	writeLink(b, s.vendorPath(v), s.vendorName(v))
	b.WriteString(`</dd><dt>Category</dt><dd>`)
	writeLink(b, "/market/"+ct.slug+"/", ct.name)
	b.WriteString(`</dd><dt>Ships to</dt><dd>` + r.pick(shipsTo) + `</dd><dt>Listed</dt><dd>` + date(&r) + "</dd></dl>\n")
	b.WriteString(`<div class="description"><p>`)
	for range 3 + r.intn(3) {
		b.WriteString(r.pick(sentences) + " ")
	}
	b.WriteString("</p></div></div>\n")
	b.WriteString(`<section class="more"><h2>More from this vendor</h2><ul>`)
	for i, o := 0, v; i < 4 && o < c.Listings; i, o = i+1, o+c.Vendors {
		if o == l {
			continue
		}
		b.WriteString("<li>")
		writeLink(b, s.listingPath(o), s.listingTitle(o))
		b.WriteString("</li>")
	}
	b.WriteString("</ul></section>\n")
}

func (s *Site) renderVendor(b *strings.Builder, v int) {
	c := s.cfg
	r := newRnd(c.Seed, keyVendor, uint64(v), 2)
	fmt.Fprintf(b, `<dl class="vendor-profile"><dt>Member since</dt><dd>%s</dd><dt>Sales</dt><dd>%d</dd><dt>Rating</dt><dd>%d.%d/5</dd></dl>`+"\n",
		date(&r), r.intn(3000), 3+r.intn(2), r.intn(10))
	b.WriteString(`<p class="about">` + r.pick(sentences) + " " + r.pick(sentences) + "</p>\n")
	b.WriteString(`<section class="vendor-listings"><h2>Listings</h2><ul>`)
	for i, l := 0, v; i < maxListingsOnProfile && l < c.Listings; i, l = i+1, l+c.Vendors {
		b.WriteString("<li>")
		writeLink(b, s.listingPath(l), s.listingTitle(l))
		b.WriteString("</li>")
	}
	b.WriteString("</ul></section>\n")
}
