// Package storetest is the conformance suite every vigil.Store backend runs:
// the embedded index and Elasticsearch alike. A backend's test calls
//
//	storetest.Run(t, func(t *testing.T) vigil.Store { … a new, empty store … })
//
// The suite asks each store for exactly what the root package's interfaces
// promise, plus the contract below, which backends share:
//
//   - Writes are visible to reads as soon as the Put method returns.
//   - Query.Text is words that must all appear (case-insensitive, in title or
//     text), "quoted phrases", and -exclusions; no other syntax is exposed,
//     and malformed text yields an EINVALID error, never another error.
//   - Empty query text lists every document, newest capture first.
//   - Search hits carry no document text, and a plain-text snippet with no
//     markup and no control characters.
//   - Facets "site" and "kind" count documents among all hits, most first;
//     a document's kinds are those of its findings, whichever was put first.
//   - Query.From is inclusive, Query.To exclusive.
//   - Limits above the maximum are cut to it, not refused.
//   - A negative offset or limit is an EINVALID error.
//   - Findings are ordered by capture time, then URL.
//   - Image hits are ordered by distance; re-putting an image ID replaces its
//     hashes.
//
// Stores that also implement vigil.CaptureStore have their captures tested;
// stores that implement Purger have DeleteCrawl tested.
package storetest

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"vigil"
)

// Purger is implemented by stores that can delete a whole crawl.
type Purger interface {
	// DeleteCrawl removes the documents, findings, images and captures of
	// the crawl. Deleting an unknown or already deleted crawl is not an
	// error.
	DeleteCrawl(ctx context.Context, crawlID string) error
}

// t0 is the capture time the suite's data is built around.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs the conformance suite. newStore must return a new, empty store
// and arrange for it to be closed when the test ends.
func Run(t *testing.T, newStore func(t *testing.T) vigil.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s vigil.Store)
	}{
		{"a put document reads back whole by ID", testDocumentRoundTrip},
		{"an unknown document ID is not found", testDocumentNotFound},
		{"putting the same records twice changes no count", testIdempotentWrites},
		{"search finds every word case-insensitively in title or text", testSearchWords},
		{"search honours phrases and exclusions", testSearchPhrases},
		{"search exposes no query syntax and rejects malformed text as invalid", testSearchMalformed},
		{"empty query text matches every document, newest first", testSearchEmpty},
		{"search filters by site, crawl, case and capture time", testSearchFilters},
		{"search kind filter keeps documents with a finding of that kind whatever the put order", testSearchKind},
		{"facets count sites and kinds over all hits, not just the page", testSearchFacets},
		{"paging walks every hit exactly once", testSearchPaging},
		{"hits carry a plain-text snippet around the match and no text", testSearchSnippet},
		{"findings are looked up by exact kind and value", testFindingsLookup},
		{"a value pivots to every page and site where it appears, in capture order", testFindingsPivot},
		{"findings filter and page", testFindingsFilterPaging},
		{"a pdq hash matches within the radius and not one bit beyond", testMatchPDQRadius},
		{"a phash hash matches within the radius and not one bit beyond", testMatchPHashRadius},
		{"sha256 and md5 match by exact equality", testMatchExact},
		{"each image appears once with its best match", testMatchBest},
		{"re-putting an image replaces its hashes", testMatchReplace},
		{"malformed image queries are invalid", testMatchInvalid},
		{"stats count distinct records exactly", testStats},
		{"captures read back and unknown ones are not found", testCaptures},
		{"concurrent writers and readers lose nothing", testConcurrent},
		{"deleting a crawl removes all its records and nothing else", testDeleteCrawl},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Helpers.

func doc(crawl, site, path, title, text string, at time.Time) vigil.Document {
	url := "http://" + site + path
	return vigil.Document{
		ID:          vigil.DocumentID(crawl, url),
		CrawlID:     crawl,
		Site:        site,
		URL:         url,
		Status:      200,
		ContentType: "text/html",
		Title:       title,
		Text:        text,
		Size:        len(text),
		SHA256:      strings.Repeat("ab", 32),
		CapturedAt:  at,
	}
}

func finding(d vigil.Document, kind vigil.Kind, value string, offset int) vigil.Finding {
	p := vigil.Page{DocumentID: d.ID, CrawlID: d.CrawlID, CaseID: d.CaseID, Site: d.Site, URL: d.URL, CapturedAt: d.CapturedAt}
	fs := []vigil.Finding{{Kind: kind, Value: value, Offset: offset, Snippet: "… " + value + " …"}}
	p.Stamp(fs)
	return fs[0]
}

func image(d vigil.Document, name string, pdq, phash []byte) vigil.Image {
	url := "http://" + d.Site + "/img/" + name + ".jpg"
	img := vigil.Image{
		ID: vigil.ImageID(d.CrawlID, d.URL, url), URL: url, PageURL: d.URL, DocumentID: d.ID,
		CrawlID: d.CrawlID, CaseID: d.CaseID, Site: d.Site, Width: 640, Height: 480, Size: 1000,
		SHA256: hex.EncodeToString(seeded(name+"sha", 32)), MD5: hex.EncodeToString(seeded(name+"md5", 16)),
		PDQQuality: 100, CapturedAt: d.CapturedAt,
	}
	if pdq != nil {
		img.PDQ = hex.EncodeToString(pdq)
	}
	if phash != nil {
		img.PHash = hex.EncodeToString(phash)
	}
	return img
}

// seeded returns n pseudo-random bytes determined by seed.
func seeded(seed string, n int) []byte {
	var s uint64
	for _, c := range []byte(seed) {
		s = s*131 + uint64(c)
	}
	r := rand.New(rand.NewPCG(s, 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// flip returns a copy of h with the first k bits of the permutation perm
// flipped: distinct bits, so the copy is at Hamming distance exactly k.
func flip(h []byte, k int, perm []int) []byte {
	out := slices.Clone(h)
	for _, bit := range perm[:k] {
		out[bit/8] ^= 1 << (bit % 8)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := vigil.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func search(t *testing.T, s vigil.Store, q vigil.Query) vigil.SearchResult {
	t.Helper()
	res, err := s.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

// hitIDs returns the IDs of the hits in order.
func hitIDs(res vigil.SearchResult) []string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.Document.ID
	}
	return ids
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func ids(docs ...vigil.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func wantHits(t *testing.T, s vigil.Store, q vigil.Query, want ...vigil.Document) {
	t.Helper()
	res := search(t, s, q)
	if !sameSet(hitIDs(res), ids(want...)) || res.Total != len(want) {
		t.Fatalf("search %+v: total %d, hits %v; want %d hits %v", q, res.Total, hitIDs(res), len(want), ids(want...))
	}
}

func wantStats(t *testing.T, s vigil.Store, want vigil.Stats) {
	t.Helper()
	got, err := s.Stats(t.Context())
	must(t, err)
	if got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
}

// Documents.

func testDocumentRoundTrip(t *testing.T, s vigil.Store) {
	d := doc("crawl-1", "alpha.onion", "/thread/1", "A title", "Some visible text.\nSecond line.", t0)
	d.CaseID, d.Depth = "case-7", 3
	must(t, s.PutDocuments(t.Context(), []vigil.Document{d}))
	got, err := s.Document(t.Context(), d.ID)
	must(t, err)
	if !got.CapturedAt.Equal(d.CapturedAt) {
		t.Fatalf("captured at %v, want %v", got.CapturedAt, d.CapturedAt)
	}
	got.CapturedAt = d.CapturedAt
	if got != d {
		t.Fatalf("got %+v\nwant %+v", got, d)
	}
}

func testDocumentNotFound(t *testing.T, s vigil.Store) {
	_, err := s.Document(t.Context(), vigil.DocumentID("no-crawl", "http://nowhere/"))
	wantCode(t, err, vigil.ENOTFOUND)
}

func testIdempotentWrites(t *testing.T, s vigil.Store) {
	var docs []vigil.Document
	var fs []vigil.Finding
	var imgs []vigil.Image
	for i := range 10 {
		d := doc("c", "alpha.onion", fmt.Sprintf("/p/%d", i), "", fmt.Sprintf("page %d with words", i), t0.Add(time.Duration(i)*time.Minute))
		docs = append(docs, d)
		fs = append(fs, finding(d, vigil.KindEmail, fmt.Sprintf("u%d@example.com", i), 5))
		imgs = append(imgs, image(d, fmt.Sprint(i), seeded(fmt.Sprint("pdq", i), 32), seeded(fmt.Sprint("ph", i), 8)))
	}
	for range 2 {
		must(t, s.PutDocuments(t.Context(), docs))
		must(t, s.PutFindings(t.Context(), fs))
		must(t, s.PutImages(t.Context(), imgs))
		wantStats(t, s, vigil.Stats{Documents: 10, Findings: 10, Images: 10})
		if res := search(t, s, vigil.Query{Text: "words"}); res.Total != 10 {
			t.Fatalf("search total %d, want 10", res.Total)
		}
		fr, err := s.Findings(t.Context(), vigil.FindingQuery{Kind: vigil.KindEmail})
		must(t, err)
		if fr.Total != 10 {
			t.Fatalf("findings total %d, want 10", fr.Total)
		}
	}
}

// Search.

func searchCorpus(t *testing.T, s vigil.Store) (d1, d2, d3, d4 vigil.Document) {
	d1 = doc("c", "alpha.onion", "/1", "Cheap flights", "Book cheap flights to Paris today.", t0)
	d2 = doc("c", "alpha.onion", "/2", "Hotels", "PARIS hotel rooms available now.", t0.Add(time.Hour))
	d3 = doc("c", "beta.onion", "/3", "", "All flights cancelled; cheap refunds.", t0.Add(2*time.Hour))
	d4 = doc("c", "beta.onion", "/4", "Unique Marker", "nothing to see", t0.Add(3*time.Hour))
	must(t, s.PutDocuments(t.Context(), []vigil.Document{d1, d2, d3, d4}))
	return
}

func testSearchWords(t *testing.T, s vigil.Store) {
	d1, d2, d3, d4 := searchCorpus(t, s)
	wantHits(t, s, vigil.Query{Text: "paris"}, d1, d2)
	wantHits(t, s, vigil.Query{Text: "Paris FLIGHTS"}, d1)
	wantHits(t, s, vigil.Query{Text: "cheap"}, d1, d3)
	wantHits(t, s, vigil.Query{Text: "marker"}, d4)
	wantHits(t, s, vigil.Query{Text: "absent"})
	wantHits(t, s, vigil.Query{Text: "paris absent"})
}

func testSearchPhrases(t *testing.T, s vigil.Store) {
	d1, d2, d3, _ := searchCorpus(t, s)
	wantHits(t, s, vigil.Query{Text: `"cheap flights"`}, d1)
	wantHits(t, s, vigil.Query{Text: `"flights cheap"`})
	wantHits(t, s, vigil.Query{Text: `flights -paris`}, d3)
	wantHits(t, s, vigil.Query{Text: `paris -"cheap flights"`}, d2)
}

func testSearchMalformed(t *testing.T, s vigil.Store) {
	lit := doc("c", "other.onion", "/lit", "", "contact vendor at site:alpha.onion today", t0)
	plain := doc("c", "alpha.onion", "/plain", "", "nothing here", t0)
	must(t, s.PutDocuments(t.Context(), []vigil.Document{lit, plain}))
	// Field syntax of a query language is plain words here.
	wantHits(t, s, vigil.Query{Text: "site:alpha.onion"}, lit)
	for _, text := range []string{
		`"unclosed`, `*`, `?`, `title:(`, `+-"`, `\`, `~2`, `a AND`, `(((`, `]`, `{}`, `/regex[/`,
		`-`, `--`, `""`, `" "`, `^3`, `NOT`, "\xff\xfe", "a\x00b", strings.Repeat("a ", 5000),
		strings.Repeat(`"`, 101), `site:`, `:`, `_id:x`, `+`, `&&||!`,
	} {
		res, err := s.Search(t.Context(), vigil.Query{Text: text})
		if err != nil {
			wantCode(t, err, vigil.EINVALID)
			continue
		}
		if text == `*` || text == `?` {
			if res.Total != 0 {
				t.Errorf("search %q matched %d documents: wildcard syntax is exposed", text, res.Total)
			}
		}
	}
	_, err := s.Search(t.Context(), vigil.Query{Offset: -1})
	wantCode(t, err, vigil.EINVALID)
	_, err = s.Search(t.Context(), vigil.Query{Limit: -1})
	wantCode(t, err, vigil.EINVALID)
}

func testSearchEmpty(t *testing.T, s vigil.Store) {
	d1, d2, d3, d4 := searchCorpus(t, s)
	res := search(t, s, vigil.Query{})
	if res.Total != 4 || !slices.Equal(hitIDs(res), ids(d4, d3, d2, d1)) {
		t.Fatalf("total %d, hits %v; want 4 hits newest first %v", res.Total, hitIDs(res), ids(d4, d3, d2, d1))
	}
}

func testSearchFilters(t *testing.T, s vigil.Store) {
	a := doc("c1", "alpha.onion", "/a", "", "common text", t0)
	b := doc("c1", "beta.onion", "/b", "", "common text", t0.Add(time.Hour))
	c := doc("c2", "alpha.onion", "/c", "", "common text", t0.Add(2*time.Hour))
	c.CaseID = "case-9"
	must(t, s.PutDocuments(t.Context(), []vigil.Document{a, b, c}))
	wantHits(t, s, vigil.Query{Text: "common", Site: "alpha.onion"}, a, c)
	wantHits(t, s, vigil.Query{Site: "beta.onion"}, b)
	wantHits(t, s, vigil.Query{Site: "alpha"}) // exact, not a prefix
	wantHits(t, s, vigil.Query{CrawlID: "c1"}, a, b)
	wantHits(t, s, vigil.Query{CaseID: "case-9"}, c)
	wantHits(t, s, vigil.Query{Text: "common", Site: "alpha.onion", CrawlID: "c1"}, a)
	wantHits(t, s, vigil.Query{From: t0.Add(time.Hour)}, b, c)
	wantHits(t, s, vigil.Query{To: t0.Add(time.Hour)}, a)
	wantHits(t, s, vigil.Query{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}, b)
}

func testSearchKind(t *testing.T, s vigil.Store) {
	a := doc("c", "alpha.onion", "/a", "", "call me", t0)
	b := doc("c", "alpha.onion", "/b", "", "mail me", t0)
	c := doc("c", "alpha.onion", "/c", "", "no contact", t0)
	// a: document first, then its finding; b: finding first, then document.
	must(t, s.PutDocuments(t.Context(), []vigil.Document{a, c}))
	must(t, s.PutFindings(t.Context(), []vigil.Finding{
		finding(a, vigil.KindPhone, "+14155550123", 0),
		finding(b, vigil.KindEmail, "x@example.com", 0),
	}))
	must(t, s.PutDocuments(t.Context(), []vigil.Document{b}))
	wantHits(t, s, vigil.Query{Kind: vigil.KindPhone}, a)
	wantHits(t, s, vigil.Query{Kind: vigil.KindEmail, Text: "me"}, b)
	wantHits(t, s, vigil.Query{Kind: vigil.KindBTC})
	// A second kind on a document keeps the first.
	must(t, s.PutFindings(t.Context(), []vigil.Finding{finding(a, vigil.KindBTC, "bc1qexample", 9)}))
	wantHits(t, s, vigil.Query{Kind: vigil.KindPhone}, a)
	wantHits(t, s, vigil.Query{Kind: vigil.KindBTC}, a)
	wantHits(t, s, vigil.Query{}, a, b, c)
}

func facetMap(res vigil.SearchResult, name string) map[string]int {
	m := map[string]int{}
	for _, ft := range res.Facets[name] {
		m[ft.Term] = ft.Count
	}
	return m
}

func testSearchFacets(t *testing.T, s vigil.Store) {
	var docs []vigil.Document
	var fs []vigil.Finding
	for i := range 5 {
		site := "alpha.onion"
		if i >= 3 {
			site = "beta.onion"
		}
		d := doc("c", site, fmt.Sprintf("/%d", i), "", "escort ads here", t0.Add(time.Duration(i)*time.Minute))
		docs = append(docs, d)
		fs = append(fs, finding(d, vigil.KindPhone, fmt.Sprintf("+1415555010%d", i), 0))
		if i%2 == 0 {
			fs = append(fs, finding(d, vigil.KindTelegram, "vendor", 20), finding(d, vigil.KindTelegram, "vendor", 40))
		}
	}
	docs = append(docs, doc("c", "gamma.onion", "/x", "", "unrelated", t0))
	must(t, s.PutDocuments(t.Context(), docs))
	must(t, s.PutFindings(t.Context(), fs))
	res := search(t, s, vigil.Query{Text: "escort", Limit: 1})
	if res.Total != 5 || len(res.Hits) != 1 {
		t.Fatalf("total %d, %d hits; want 5 and 1", res.Total, len(res.Hits))
	}
	if got, want := facetMap(res, "site"), map[string]int{"alpha.onion": 3, "beta.onion": 2}; !mapsEqual(got, want) {
		t.Errorf("site facet %v, want %v", got, want)
	}
	if got, want := facetMap(res, "kind"), map[string]int{"phone": 5, "telegram": 3}; !mapsEqual(got, want) {
		t.Errorf("kind facet %v, want %v (documents, not findings)", got, want)
	}
	if f := res.Facets["site"]; len(f) != 2 || f[0].Term != "alpha.onion" {
		t.Errorf("site facet %v is not ordered by count", f)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func testSearchPaging(t *testing.T, s vigil.Store) {
	var docs []vigil.Document
	for i := range 25 {
		docs = append(docs, doc("c", "alpha.onion", fmt.Sprintf("/%d", i), "", "same words", t0.Add(time.Duration(i%3)*time.Minute)))
	}
	must(t, s.PutDocuments(t.Context(), docs))
	for _, text := range []string{"", "same"} {
		res := search(t, s, vigil.Query{Text: text})
		if res.Total != 25 || len(res.Hits) != 20 {
			t.Fatalf("query %q: total %d, %d hits; want 25 and the default 20", text, res.Total, len(res.Hits))
		}
		var seen []string
		for off := 0; off < 30; off += 7 {
			res := search(t, s, vigil.Query{Text: text, Offset: off, Limit: 7})
			seen = append(seen, hitIDs(res)...)
		}
		if !sameSet(seen, ids(docs...)) {
			t.Fatalf("query %q: pages of 7 gave %d IDs, not each of the 25 once", text, len(seen))
		}
	}
	if res := search(t, s, vigil.Query{Limit: 5000}); len(res.Hits) != 25 {
		t.Fatalf("a limit above the maximum gave %d hits, want 25", len(res.Hits))
	}
}

func testSearchSnippet(t *testing.T, s vigil.Store) {
	long := doc("c", "alpha.onion", "/long", "Title",
		strings.Repeat("filler words ", 200)+"the needle is here"+strings.Repeat(" more words", 200), t0)
	esc := doc("c", "alpha.onion", "/esc", "", "\x1b[31mred\x1b[0m haystack \u202eevil\u202c\tand\x00 more", t0)
	must(t, s.PutDocuments(t.Context(), []vigil.Document{long, esc}))
	for _, tc := range []struct {
		text, want string
	}{{"needle", "needle"}, {"haystack", "haystack"}} {
		res := search(t, s, vigil.Query{Text: tc.text})
		if len(res.Hits) != 1 {
			t.Fatalf("search %q: %d hits, want 1", tc.text, len(res.Hits))
		}
		h := res.Hits[0]
		if h.Document.Text != "" {
			t.Errorf("search %q: hit carries the document text", tc.text)
		}
		if !strings.Contains(h.Snippet, tc.want) {
			t.Errorf("search %q: snippet %q lacks %q", tc.text, h.Snippet, tc.want)
		}
		if len(h.Snippet) > 1000 {
			t.Errorf("search %q: snippet of %d bytes is not short", tc.text, len(h.Snippet))
		}
		if strings.ContainsAny(h.Snippet, "<>") {
			t.Errorf("search %q: snippet %q has markup", tc.text, h.Snippet)
		}
		for _, r := range h.Snippet {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("search %q: snippet %q has control character %U", tc.text, h.Snippet, r)
			}
		}
	}
}

// Findings.

func findingsOf(t *testing.T, s vigil.Store, q vigil.FindingQuery) vigil.FindingResult {
	t.Helper()
	res, err := s.Findings(t.Context(), q)
	if err != nil {
		t.Fatalf("findings %+v: %v", q, err)
	}
	return res
}

func findingIDs(fs []vigil.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func testFindingsLookup(t *testing.T, s vigil.Store) {
	d := doc("c", "alpha.onion", "/a", "", "text", t0)
	email := finding(d, vigil.KindEmail, "alice@example.com", 3)
	tg := finding(d, vigil.KindTelegram, "alice", 30)
	must(t, s.PutFindings(t.Context(), []vigil.Finding{email, tg}))
	for _, tc := range []struct {
		q    vigil.FindingQuery
		want []string
	}{
		{vigil.FindingQuery{Kind: vigil.KindEmail, Value: "alice@example.com"}, []string{email.ID}},
		{vigil.FindingQuery{Value: "alice"}, []string{tg.ID}},
		{vigil.FindingQuery{Kind: vigil.KindEmail, Value: "alice"}, nil},
		{vigil.FindingQuery{Value: "example.com"}, nil},
		{vigil.FindingQuery{Value: "alice@example"}, nil},
		{vigil.FindingQuery{Kind: vigil.KindTelegram}, []string{tg.ID}},
		{vigil.FindingQuery{}, []string{email.ID, tg.ID}},
	} {
		res := findingsOf(t, s, tc.q)
		if res.Total != len(tc.want) || !sameSet(findingIDs(res.Findings), tc.want) {
			t.Errorf("findings %+v: total %d, %v; want %v", tc.q, res.Total, findingIDs(res.Findings), tc.want)
		}
	}
	res := findingsOf(t, s, vigil.FindingQuery{Kind: vigil.KindEmail})
	got := res.Findings[0]
	if !got.CapturedAt.Equal(email.CapturedAt) {
		t.Fatalf("captured at %v, want %v", got.CapturedAt, email.CapturedAt)
	}
	got.CapturedAt = email.CapturedAt
	if got != email {
		t.Fatalf("finding %+v\nwant %+v", got, email)
	}
}

func testFindingsPivot(t *testing.T, s vigil.Store) {
	const phone = "+14155550123"
	// Captured out of order, and two at the same time on different URLs.
	d3 := doc("c2", "gamma.onion", "/z", "", "t", t0.Add(2*time.Hour))
	d1 := doc("c1", "alpha.onion", "/b", "", "t", t0)
	d2 := doc("c1", "alpha.onion", "/a", "", "t", t0)
	d4 := doc("c2", "beta.onion", "/m", "", "t", t0.Add(time.Hour))
	fs := []vigil.Finding{
		finding(d3, vigil.KindWhatsApp, phone, 0),
		finding(d1, vigil.KindPhone, phone, 0),
		finding(d2, vigil.KindPhone, phone, 0),
		finding(d4, vigil.KindPhone, phone, 0),
		finding(d4, vigil.KindPhone, "+14155550199", 50),
	}
	must(t, s.PutFindings(t.Context(), fs))
	res := findingsOf(t, s, vigil.FindingQuery{Value: phone})
	var urls, sites []string
	for _, f := range res.Findings {
		urls = append(urls, f.URL)
		sites = append(sites, f.Site)
	}
	want := []string{d2.URL, d1.URL, d4.URL, d3.URL}
	if res.Total != 4 || !slices.Equal(urls, want) {
		t.Fatalf("pivot on %s: total %d, URLs %v; want %v", phone, res.Total, urls, want)
	}
	if !slices.Equal(sites, []string{"alpha.onion", "alpha.onion", "beta.onion", "gamma.onion"}) {
		t.Fatalf("pivot sites %v", sites)
	}
	res = findingsOf(t, s, vigil.FindingQuery{Kind: vigil.KindPhone, Value: phone})
	if res.Total != 3 {
		t.Fatalf("phone pivot total %d, want 3", res.Total)
	}
}

func testFindingsFilterPaging(t *testing.T, s vigil.Store) {
	var fs []vigil.Finding
	for i := range 12 {
		site := []string{"alpha.onion", "beta.onion", "gamma.onion"}[i%3]
		d := doc(fmt.Sprint("crawl-", i%2), site, fmt.Sprintf("/%02d", i), "", "t", t0.Add(time.Duration(i)*time.Minute))
		if i < 4 {
			d.CaseID = "case-1"
		}
		fs = append(fs, finding(d, vigil.KindBTC, "bc1qsame", 0))
	}
	must(t, s.PutFindings(t.Context(), fs))
	for _, tc := range []struct {
		q    vigil.FindingQuery
		want int
	}{
		{vigil.FindingQuery{Value: "bc1qsame", Site: "beta.onion"}, 4},
		{vigil.FindingQuery{Value: "bc1qsame", CrawlID: "crawl-1"}, 6},
		{vigil.FindingQuery{Value: "bc1qsame", CaseID: "case-1"}, 4},
		{vigil.FindingQuery{Value: "bc1qsame", CaseID: "case-1", Site: "alpha.onion"}, 2},
		{vigil.FindingQuery{Site: "delta.onion"}, 0},
		{vigil.FindingQuery{DocumentID: fs[5].DocumentID}, 1},
	} {
		if res := findingsOf(t, s, tc.q); res.Total != tc.want || len(res.Findings) != tc.want {
			t.Errorf("findings %+v: total %d, %d findings; want %d", tc.q, res.Total, len(res.Findings), tc.want)
		}
	}
	var got []string
	for off := 0; off < 12; off += 5 {
		res := findingsOf(t, s, vigil.FindingQuery{Kind: vigil.KindBTC, Offset: off, Limit: 5})
		if res.Total != 12 {
			t.Fatalf("page at %d: total %d, want 12", off, res.Total)
		}
		got = append(got, findingIDs(res.Findings)...)
	}
	if !slices.Equal(got, findingIDs(fs)) {
		t.Fatalf("pages gave %v, want every finding once in capture order %v", got, findingIDs(fs))
	}
	_, err := s.Findings(t.Context(), vigil.FindingQuery{Offset: -1})
	wantCode(t, err, vigil.EINVALID)

	// A zero limit means pages of 100.
	d := doc("c", "alpha.onion", "/many", "", "t", t0)
	var many []vigil.Finding
	for i := range 120 {
		many = append(many, finding(d, vigil.KindEmail, fmt.Sprintf("u%d@example.com", i), i))
	}
	must(t, s.PutFindings(t.Context(), many))
	if res := findingsOf(t, s, vigil.FindingQuery{Kind: vigil.KindEmail}); res.Total != 120 || len(res.Findings) != 100 {
		t.Fatalf("default page: total %d, %d findings; want 120 and 100", res.Total, len(res.Findings))
	}
}

// Images.

func match(t *testing.T, s vigil.Store, q vigil.ImageQuery) []vigil.ImageHit {
	t.Helper()
	hits, err := s.MatchImages(t.Context(), q)
	if err != nil {
		t.Fatalf("match %+v: %v", q, err)
	}
	return hits
}

type distHit struct {
	id   string
	dist int
}

func distHits(hits []vigil.ImageHit) []distHit {
	out := make([]distHit, len(hits))
	for i, h := range hits {
		out[i] = distHit{h.Image.ID, h.Distance}
	}
	return out
}

// plantRadius stores images whose hash of algo is at each of dists from a
// query hash, plus one unrelated image, and checks which the query finds.
func plantRadius(t *testing.T, s vigil.Store, algo string, nbytes, radius int, dists []int) {
	q := seeded(algo+"query", nbytes)
	perm := rand.New(rand.NewPCG(7, 7)).Perm(8 * nbytes)
	d := doc("c", "alpha.onion", "/gallery", "", "t", t0)
	var imgs []vigil.Image
	byDist := map[int]string{}
	for _, k := range dists {
		h := flip(q, k, perm)
		var img vigil.Image
		if algo == vigil.AlgoPDQ {
			img = image(d, fmt.Sprint(algo, k), h, nil)
		} else {
			img = image(d, fmt.Sprint(algo, k), nil, h)
		}
		imgs = append(imgs, img)
		byDist[k] = img.ID
	}
	must(t, s.PutImages(t.Context(), imgs))
	for _, r := range []int{-1, radius, 5} {
		qq := vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: algo, Value: hex.EncodeToString(q), Variant: "original"}}}
		want := radius
		if r >= 0 {
			qq.MaxDistance = map[string]int{algo: r}
			want = r
		}
		var wantHits []distHit
		for _, k := range dists {
			if k <= want {
				wantHits = append(wantHits, distHit{byDist[k], k})
			}
		}
		got := distHits(match(t, s, qq))
		if !slices.Equal(got, wantHits) {
			t.Errorf("%s radius %d: got %v, want %v", algo, want, got, wantHits)
		}
	}
}

func testMatchPDQRadius(t *testing.T, s vigil.Store) {
	plantRadius(t, s, vigil.AlgoPDQ, 32, 31, []int{0, 1, 5, 6, 16, 30, 31, 32, 33, 64, 128})
}

func testMatchPHashRadius(t *testing.T, s vigil.Store) {
	plantRadius(t, s, vigil.AlgoPHash, 8, 10, []int{0, 3, 5, 6, 10, 11, 20})
}

func testMatchExact(t *testing.T, s vigil.Store) {
	d := doc("c", "alpha.onion", "/p", "", "t", t0)
	a, b := image(d, "a", nil, nil), image(d, "b", nil, nil)
	must(t, s.PutImages(t.Context(), []vigil.Image{a, b}))
	near := []byte(a.SHA256)
	near[0] = map[bool]byte{true: '1', false: '0'}[near[0] == '0']
	for _, tc := range []struct {
		algo, value string
		want        []distHit
	}{
		{vigil.AlgoSHA256, a.SHA256, []distHit{{a.ID, 0}}},
		{vigil.AlgoMD5, b.MD5, []distHit{{b.ID, 0}}},
		{vigil.AlgoSHA256, string(near), nil},
		{vigil.AlgoMD5, a.SHA256[:32], nil},
	} {
		got := distHits(match(t, s, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: tc.algo, Value: tc.value}}}))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: got %v, want %v", tc.algo, tc.value, got, tc.want)
		}
	}
}

func testMatchBest(t *testing.T, s vigil.Store) {
	base := seeded("best", 32)
	perm := rand.New(rand.NewPCG(1, 2)).Perm(256)
	d := doc("c", "alpha.onion", "/p", "", "t", t0)
	var imgs []vigil.Image
	for i := range 6 {
		// Image i sits 3 bits from base, differing from every other image.
		h := flip(base, 3, perm[3*i:])
		imgs = append(imgs, image(d, fmt.Sprint("best", i), h, nil))
	}
	must(t, s.PutImages(t.Context(), imgs))
	far := flip(base, 20, perm[100:])
	q := vigil.ImageQuery{Hashes: []vigil.QueryHash{
		{Algorithm: vigil.AlgoPDQ, Value: hex.EncodeToString(far), Variant: "original"},
		{Algorithm: vigil.AlgoPDQ, Value: hex.EncodeToString(base), Variant: "rot90"},
		{Algorithm: vigil.AlgoSHA256, Value: imgs[2].SHA256, Variant: "bytes"},
	}}
	hits := match(t, s, q)
	if len(hits) != 6 {
		t.Fatalf("%d hits, want each of the 6 images once: %v", len(hits), distHits(hits))
	}
	if h := hits[0]; h.Image.ID != imgs[2].ID || h.Distance != 0 || h.Algorithm != vigil.AlgoSHA256 || h.Variant != "bytes" {
		t.Errorf("first hit %+v, want image 2 by sha256 at distance 0", h)
	}
	for _, h := range hits[1:] {
		if h.Distance != 3 || h.Variant != "rot90" || h.Algorithm != vigil.AlgoPDQ {
			t.Errorf("hit %s: distance %d by %s %s, want 3 by pdq rot90", h.Image.ID, h.Distance, h.Algorithm, h.Variant)
		}
		if h.Image.PageURL != d.URL || h.Image.Site != d.Site {
			t.Errorf("hit %s lacks its page and site: %+v", h.Image.ID, h.Image)
		}
	}
	q.Limit = 2
	if hits := match(t, s, q); len(hits) != 2 || hits[0].Distance != 0 || hits[1].Distance != 3 {
		t.Errorf("limit 2 gave %v", distHits(hits))
	}
}

func testMatchReplace(t *testing.T, s vigil.Store) {
	d := doc("c", "alpha.onion", "/p", "", "t", t0)
	oldH, newH := seeded("old", 32), seeded("new", 32)
	img := image(d, "x", oldH, nil)
	must(t, s.PutImages(t.Context(), []vigil.Image{img}))
	img.PDQ, img.Width = hex.EncodeToString(newH), 1024
	must(t, s.PutImages(t.Context(), []vigil.Image{img}))
	q := func(h []byte) vigil.ImageQuery {
		return vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: hex.EncodeToString(h)}}}
	}
	if hits := match(t, s, q(oldH)); len(hits) != 0 {
		t.Errorf("the replaced hash still matches: %v", distHits(hits))
	}
	hits := match(t, s, q(newH))
	if len(hits) != 1 || hits[0].Distance != 0 || hits[0].Image.Width != 1024 {
		t.Errorf("the new hash gave %+v, want the updated image at distance 0", hits)
	}
	wantStats(t, s, vigil.Stats{Images: 1})
}

func testMatchInvalid(t *testing.T, s vigil.Store) {
	for _, q := range []vigil.ImageQuery{
		{Hashes: []vigil.QueryHash{{Algorithm: "ahash", Value: "00"}}},
		{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: "xyz"}}},
		{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: strings.Repeat("0", 62)}}},
		{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPHash, Value: strings.Repeat("0", 64)}}},
		{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: strings.Repeat("0", 64)}}, MaxDistance: map[string]int{vigil.AlgoPDQ: -1}},
		{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: strings.Repeat("0", 64)}}, Limit: -1},
	} {
		_, err := s.MatchImages(t.Context(), q)
		wantCode(t, err, vigil.EINVALID)
	}
	d := doc("c", "alpha.onion", "/p", "", "t", t0)
	bad := image(d, "bad", nil, nil)
	bad.PDQ = "not hex"
	wantCode(t, s.PutImages(t.Context(), []vigil.Image{bad}), vigil.EINVALID)
}

func testStats(t *testing.T, s vigil.Store) {
	wantStats(t, s, vigil.Stats{})
	d1 := doc("c", "alpha.onion", "/1", "", "x", t0)
	d2 := doc("c", "alpha.onion", "/2", "", "y", t0)
	must(t, s.PutDocuments(t.Context(), []vigil.Document{d1, d2, d1}))
	must(t, s.PutFindings(t.Context(), []vigil.Finding{finding(d1, vigil.KindEmail, "a@b.c", 0), finding(d1, vigil.KindEmail, "a@b.c", 10), finding(d2, vigil.KindEmail, "a@b.c", 0)}))
	must(t, s.PutImages(t.Context(), []vigil.Image{image(d1, "1", seeded("s1", 32), nil), image(d2, "2", nil, seeded("s2", 8))}))
	wantStats(t, s, vigil.Stats{Documents: 2, Findings: 3, Images: 2})
}

func testCaptures(t *testing.T, s vigil.Store) {
	cs, ok := s.(vigil.CaptureStore)
	if !ok {
		t.Logf("%T keeps no captures: nothing to test", s)
		return
	}
	id := vigil.DocumentID("c", "http://alpha.onion/")
	body := []byte("<html>\x00binary\xff body</html>")
	must(t, cs.PutCapture(t.Context(), id, body))
	must(t, cs.PutCapture(t.Context(), id, body))
	got, err := cs.Capture(t.Context(), id)
	must(t, err)
	if string(got) != string(body) {
		t.Fatalf("capture %q, want %q", got, body)
	}
	empty := vigil.DocumentID("c", "http://alpha.onion/empty")
	must(t, cs.PutCapture(t.Context(), empty, nil))
	if got, err := cs.Capture(t.Context(), empty); err != nil || len(got) != 0 {
		t.Fatalf("empty capture: %q, %v", got, err)
	}
	_, err = cs.Capture(t.Context(), vigil.DocumentID("c", "http://unknown/"))
	wantCode(t, err, vigil.ENOTFOUND)
	_, err = cs.Capture(t.Context(), "../../etc/passwd")
	if code := vigil.ErrorCode(err); code != vigil.ENOTFOUND && code != vigil.EINVALID {
		t.Fatalf("capture of a path-like ID: %v, want not found or invalid", err)
	}
}

func testConcurrent(t *testing.T, s vigil.Store) {
	const writers, batches, perBatch = 4, 5, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				var docs []vigil.Document
				var fs []vigil.Finding
				var imgs []vigil.Image
				for i := range perBatch {
					d := doc(fmt.Sprint("w", w), "alpha.onion", fmt.Sprintf("/%d/%d", b, i), "", "shared words", t0)
					docs = append(docs, d)
					fs = append(fs, finding(d, vigil.KindPhone, fmt.Sprintf("+1415%07d", w*1000+b*100+i), 0))
					imgs = append(imgs, image(d, fmt.Sprint(w, b, i), seeded(fmt.Sprint(w, b, i), 32), nil))
				}
				// Alternate the put order between writers.
				if w%2 == 0 {
					errs <- s.PutDocuments(t.Context(), docs)
					errs <- s.PutFindings(t.Context(), fs)
				} else {
					errs <- s.PutFindings(t.Context(), fs)
					errs <- s.PutDocuments(t.Context(), docs)
				}
				errs <- s.PutImages(t.Context(), imgs)
			}
		}()
	}
	var readers sync.WaitGroup
	readErrs := make(chan error, 2)
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					readErrs <- nil
					return
				default:
				}
				if _, err := s.Search(t.Context(), vigil.Query{Text: "shared", Kind: vigil.KindPhone}); err != nil {
					readErrs <- err
					return
				}
				if _, err := s.MatchImages(t.Context(), vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: strings.Repeat("0", 64)}}}); err != nil {
					readErrs <- err
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(errs)
	}()
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	close(done)
	readers.Wait()
	close(readErrs)
	for err := range readErrs {
		if err != nil {
			t.Error(err)
		}
	}
	n := writers * batches * perBatch
	wantStats(t, s, vigil.Stats{Documents: n, Findings: n, Images: n})
	if res := search(t, s, vigil.Query{Text: "shared", Kind: vigil.KindPhone}); res.Total != n {
		t.Fatalf("search after concurrent writes: total %d, want %d", res.Total, n)
	}
}

func testDeleteCrawl(t *testing.T, s vigil.Store) {
	p, ok := s.(Purger)
	if !ok {
		t.Logf("%T cannot delete crawls: nothing to test", s)
		return
	}
	keep := doc("keep", "alpha.onion", "/k", "", "shared words", t0)
	gone := doc("gone", "alpha.onion", "/g", "", "shared words", t0)
	must(t, s.PutDocuments(t.Context(), []vigil.Document{keep, gone}))
	must(t, s.PutFindings(t.Context(), []vigil.Finding{finding(keep, vigil.KindEmail, "a@b.c", 0), finding(gone, vigil.KindEmail, "a@b.c", 0), finding(gone, vigil.KindBTC, "bc1q", 9)}))
	gi := image(gone, "g", seeded("g", 32), nil)
	must(t, s.PutImages(t.Context(), []vigil.Image{image(keep, "k", seeded("k", 32), nil), gi}))
	cs, captures := s.(vigil.CaptureStore)
	if captures {
		must(t, cs.PutCapture(t.Context(), keep.ID, []byte("keep")))
		must(t, cs.PutCapture(t.Context(), gone.ID, []byte("gone")))
	}
	must(t, p.DeleteCrawl(t.Context(), "gone"))
	must(t, p.DeleteCrawl(t.Context(), "gone"))
	must(t, p.DeleteCrawl(t.Context(), "never-existed"))
	wantStats(t, s, vigil.Stats{Documents: 1, Findings: 1, Images: 1})
	_, err := s.Document(t.Context(), gone.ID)
	wantCode(t, err, vigil.ENOTFOUND)
	wantHits(t, s, vigil.Query{Text: "shared"}, keep)
	wantHits(t, s, vigil.Query{Kind: vigil.KindBTC})
	res := search(t, s, vigil.Query{})
	if got := facetMap(res, "kind"); !mapsEqual(got, map[string]int{"email": 1}) {
		t.Errorf("kind facet after delete %v, want email 1", got)
	}
	if fr := findingsOf(t, s, vigil.FindingQuery{Value: "a@b.c"}); fr.Total != 1 || fr.Findings[0].DocumentID != keep.ID {
		t.Errorf("findings after delete: %+v", fr)
	}
	if hits := match(t, s, vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: gi.PDQ}}}); len(hits) != 0 {
		t.Errorf("a deleted image still matches: %v", distHits(hits))
	}
	if captures {
		_, err := cs.Capture(t.Context(), gone.ID)
		wantCode(t, err, vigil.ENOTFOUND)
		if b, err := cs.Capture(t.Context(), keep.ID); err != nil || string(b) != "keep" {
			t.Errorf("kept capture: %q, %v", b, err)
		}
	}
	// A deleted crawl can be written again.
	must(t, s.PutDocuments(t.Context(), []vigil.Document{gone}))
	wantHits(t, s, vigil.Query{Text: "shared"}, keep, gone)
}
