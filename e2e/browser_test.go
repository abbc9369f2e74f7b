package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil"
	"vigil/internal/demo"
)

// chromiumPath is Debian's chromium, installed by `make deps`.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a fresh headless Chromium (its own profile, no
// background traffic) and returns a tab context that ends with the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s is missing: run `make deps` (installs Debian's chromium): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs browser steps with a deadline, failing the test on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that returns a value, failing the test on error.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// css is a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// screenshot saves the viewport as NAME.png under $VIGIL_SCREENSHOTS (the
// README's pictures: VIGIL_SCREENSHOTS=$PWD/docs go test ./e2e -run Browser),
// or under the test's temporary directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("VIGIL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	png := get(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// canary counts requests once armed: hostile payloads point at it, so any
// request it sees after the crawl came from the browser executing one.
type canary struct {
	armed atomic.Bool
	mu    sync.Mutex
	hits  []string
}

func (c *canary) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.armed.Load() {
		c.mu.Lock()
		c.hits = append(c.hits, r.Method+" "+r.URL.String()+" ("+r.UserAgent()+")")
		c.mu.Unlock()
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
}

func (c *canary) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.hits)
}

// hostilePayloads are script-injection attempts. Each either sets a
// window.__pwned* global or fetches the canary when it runs.
func hostilePayloads(canaryURL string) []string {
	return []string{
		`<script>window.__pwned_script=1;fetch("` + canaryURL + `/script")</script>`,
		`<img src="` + canaryURL + `/img" onerror="window.__pwned_onerror=1">`,
		`<a href="javascript:window.__pwned_js=1">click me</a>`,
		`</textarea><script>window.__pwned_textarea=1</script>`,
		`</pre><script>window.__pwned_pre=1</script><pre>`,
		`"><script>window.__pwned_attr=1</script>`,
		`'-window.__pwned_quote=1-'`,
		`<style>body{background:url(` + canaryURL + `/css)}</style>`,
		`<div style="background-image:url(` + canaryURL + `/style)">styled</div>`,
		`<svg onload="window.__pwned_svg=1"><script>window.__pwned_svgscript=1</script></svg>`,
		`<iframe src="` + canaryURL + `/iframe"></iframe>`,
		`<link rel="stylesheet" href="` + canaryURL + `/link">`,
		`<meta http-equiv="refresh" content="0;url=` + canaryURL + `/meta">`,
		`<base href="` + canaryURL + `/base/">`,
		`<object data="` + canaryURL + `/object"></object>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned_mxss=1>`,
		"java\u200bscript:window.__pwned_zw=1 \u202egnp.exe \uff1cscript\uff1ewindow.__pwned_fullwidth=1\uff1c/script\uff1e",
		`{{.}} ${window.__pwned_tpl=1} <!--<script>window.__pwned_comment=1</script>-->`,
	}
}

// hostileSite serves two pages whose text, title and links carry the
// payloads, both escaped (they become crawled text) and raw (markup the
// extractor drops), with one contact to pivot on.
func hostileSite(canaryURL string) http.Handler {
	payloads := hostilePayloads(canaryURL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/p2" {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString(`<!doctype html><html><head><title>Hostile market ` + html.EscapeString(payloads[0]) + `</title></head><body>`)
		b.WriteString(`<h1>Hostile market</h1><p>Write to hostile.vendor@evil-example.com or t.me/hostilevendor</p>`)
		// Links first: the unclosed <math>…<style> payload turns the rest of the page into raw text.
		b.WriteString(`<a href="/p2">page two</a> <a href="/p2?x=` + url.QueryEscape(`"><script>window.__pwned_url=1</script>`) + `">next</a>`)
		b.WriteString(`<a href="javascript:window.__pwned_link=1">js link</a><a href="` + canaryURL + `/offsite">offsite</a>`)
		for _, p := range payloads {
			b.WriteString("<p>" + html.EscapeString(p) + "</p>\n") // crawled text
			if !strings.HasPrefix(p, "<base") {                    // a raw <base> would move the site's own links off-site
				b.WriteString(p + "\n") // raw markup
			}
		}
		b.WriteString(`</body></html>`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, b.String())
	})
}

// slowSite is an endless site (each page links to the next five) that
// answers slowly, so a crawl of it runs until it is stopped.
func slowSite() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		select {
		case <-time.After(20 * time.Millisecond): // the site's latency, not synchronisation
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<html><head><title>slow page %d</title></head><body><p>slow page %d</p>", n, n)
		for i := 1; i <= 5; i++ {
			fmt.Fprintf(w, `<a href="/p/%d">next</a> `, n*5+i)
		}
		fmt.Fprint(w, "</body></html>")
	})
}

// crawlWait crawls seed to the end with the CLI and returns the crawl ID.
func crawlWait(t *testing.T, inst *instance, seed string) string {
	t.Helper()
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", "--wait", seed)
	if code != 0 {
		t.Fatalf("vigil crawl %s exited %d: %s\n%s", seed, code, errOut, out)
	}
	id := strings.Fields(out)[1]
	if !strings.HasPrefix(id, "crawl-") {
		t.Fatalf("crawl output does not start with the crawl ID: %q", out)
	}
	return id
}

// TestBrowser drives Debian's headless Chromium against `vigil up --direct`
// after crawling the demo site and a site of script-injection payloads: the
// search finds a planted contact, the pivot lists every page of a repeated
// contact, a photo match returns the planted image, the hostile pages run
// nothing, a crawl is paused and resumed from the page, and a schedule is
// created and paused from the page and found on the admin's audit page.
func TestBrowser(t *testing.T) {
	t.Parallel()
	site := demo.New(demo.Config{})
	demoSrv := httptest.NewServer(site)
	defer demoSrv.Close()
	can := &canary{}
	canSrv := httptest.NewServer(can)
	defer canSrv.Close()
	hostSrv := httptest.NewServer(hostileSite(canSrv.URL))
	defer hostSrv.Close()
	slowSrv := httptest.NewServer(slowSite())
	defer slowSrv.Close()

	inst := startUp(t, "--direct", "--concurrency", "8")
	demoCrawl := crawlWait(t, inst, demoSrv.URL+"/")
	crawlWait(t, inst, hostSrv.URL+"/")
	can.armed.Store(true) // from here on only a browser executing a payload reaches the canary

	ctx := newBrowser(t)

	t.Run("search finds a planted contact and its page", func(t *testing.T) {
		var p demo.Planted
		for _, u := range site.Unique() {
			if u.Kind == vigil.KindEmail {
				p = u
				break
			}
		}
		if p.Value == "" {
			t.Fatal("the demo site planted no unique e-mail")
		}
		do(t, ctx, "search for "+p.Value,
			chromedp.Navigate(inst.URL+"/"),
			chromedp.SendKeys(css(`header input[name="q"]`), p.Value+"\n"),
			chromedp.WaitVisible(css(`a.contact-match`)),
		)
		href := get(t, ctx, "contact link", chromedp.AttributeValue(css(`a.contact-match`), "href")).Value
		value := get(t, ctx, "contact text", chromedp.Text(css(`a.contact-match`)))
		if !strings.Contains(value, p.Value) || !strings.Contains(href, "/contact?") {
			t.Fatalf("contact box = %q (%s), want %s", value, href, p.Value)
		}
		screenshot(t, ctx, "search")
		do(t, ctx, "open the contact", chromedp.Click(css(`a.contact-match`)), chromedp.WaitVisible(css(`table.pages`)))
		urls := get(t, ctx, "pages", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a.doc")).map(a => a.dataset.url)`))
		if want := demoSrv.URL + p.Path; len(urls) != 1 || urls[0] != want {
			t.Fatalf("contact page lists %v, want only %s", urls, want)
		}
		do(t, ctx, "open its document", chromedp.Click(css(`a.doc`)), chromedp.WaitVisible(css(`#doc-text`)))
		marked := get(t, ctx, "highlighted contacts", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#doc-text mark")).map(m => m.textContent)`))
		if !slices.Contains(marked, p.Text) && !slices.Contains(marked, p.Value) {
			t.Fatalf("the document text highlights %q, not the contact %q", marked, p.Text)
		}
		rawHref := get(t, ctx, "raw capture link", chromedp.AttributeValue(css(`#raw-capture`), "href")).Value
		if want := "/api/documents/" + vigil.DocumentID(demoCrawl, demoSrv.URL+p.Path) + "/capture"; rawHref != want {
			t.Fatalf("raw capture link %q, want %q", rawHref, want)
		}
		screenshot(t, ctx, "document")
	})

	t.Run("the pivot lists every page of a repeated contact", func(t *testing.T) {
		sig := site.Signatures()[0]
		want := map[string]bool{}
		for _, p := range site.Planted() {
			if p.Kind == sig.Kind && p.Value == sig.Value {
				want[demoSrv.URL+p.Path] = true
			}
		}
		if len(want) < 3 {
			t.Fatalf("signature %s appears on %d pages; the test needs several", sig.Value, len(want))
		}
		do(t, ctx, "pivot on "+sig.Value,
			chromedp.Navigate(inst.URL+"/contact?"+url.Values{"kind": {string(sig.Kind)}, "value": {sig.Value}}.Encode()),
			chromedp.WaitVisible(css(`table.pages`)),
		)
		urls := get(t, ctx, "pages", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a.doc")).map(a => a.dataset.url)`))
		count := get(t, ctx, "page count", chromedp.Text(css(`#page-count`)))
		got := map[string]bool{}
		for _, u := range urls {
			if got[u] {
				t.Errorf("page %s listed twice", u)
			}
			got[u] = true
		}
		for u := range want {
			if !got[u] {
				t.Errorf("pivot misses %s", u)
			}
		}
		for u := range got {
			if !want[u] {
				t.Errorf("pivot lists %s, where %s is not planted", u, sig.Value)
			}
		}
		if count != strconv.Itoa(len(want)) {
			t.Errorf("page count %q, want %d", count, len(want))
		}
		screenshot(t, ctx, "contact")
	})

	t.Run("a photo match returns the planted image", func(t *testing.T) {
		img := site.Images()[0]
		file := filepath.Join(t.TempDir(), "query.jpg")
		if err := os.WriteFile(file, img.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, "match "+img.Path,
			chromedp.Navigate(inst.URL+"/match"),
			chromedp.WaitVisible(css(`#match-file`)),
			chromedp.SetUploadFiles(css(`#match-file`), []string{file}),
			chromedp.Click(css(`#match-form button`)),
			chromedp.WaitVisible(css(`tr.match-hit`)),
		)
		rows := get(t, ctx, "match rows", chromedp.Evaluate[[]map[string]string](`Array.from(document.querySelectorAll("tr.match-hit")).map(tr => ({
			page: tr.querySelector(".page").textContent, image: tr.querySelector(".image-url").textContent,
			distance: tr.querySelector(".distance").textContent, band: tr.querySelector(".band").textContent,
			variant: tr.querySelector(".variant").textContent}))`))
		found := false
		for _, r := range rows {
			if r["image"] == demoSrv.URL+img.Path && r["distance"] == "0" && r["band"] == "match" && slices.Contains(img.PagePaths, strings.TrimPrefix(r["page"], demoSrv.URL)) {
				found = true
			}
		}
		if !found {
			t.Fatalf("match results %v do not include %s at distance 0 on one of %v", rows, img.Path, img.PagePaths)
		}
		if n := get(t, ctx, "count images", chromedp.Evaluate[int](`document.images.length`)); n != 0 {
			t.Fatalf("the match page shows %d images", n)
		}
		screenshot(t, ctx, "match")
	})

	t.Run("hostile pages execute nothing", func(t *testing.T) {
		do(t, ctx, "search the hostile site", chromedp.Navigate(inst.URL+"/?q=hostile"), chromedp.WaitVisible(css(`ol.hits`)))
		docHrefs := get(t, ctx, "hits", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a.title")).map(a => a.getAttribute("href"))`))
		if len(docHrefs) < 2 {
			t.Fatalf("search for hostile found %d pages, want both hostile pages", len(docHrefs))
		}
		visit := []string{"/?q=hostile", "/?q=" + url.QueryEscape("hostile.vendor@evil-example.com"),
			"/contact?kind=email&value=hostile.vendor%40evil-example.com", "/crawls", "/audit",
			"/go?url=" + url.QueryEscape(`javascript:window.__pwned_go=1//"><script>window.__pwned_go2=1</script>`)}
		visit = append(visit, docHrefs...)
		for _, path := range visit {
			do(t, ctx, "visit "+path, chromedp.Navigate(inst.URL+path), chromedp.WaitReady(css(`footer`)))
			if pwned := get(t, ctx, "globals", chromedp.Evaluate[[]string](`Object.keys(window).filter(k => k.startsWith("__pwned"))`)); len(pwned) != 0 {
				t.Errorf("%s: payloads ran: window has %v", path, pwned)
			}
			text := get(t, ctx, "main text", chromedp.Text(css(`main`)))
			if strings.HasPrefix(path, "/doc/") && !strings.Contains(text, "<script>window.__pwned_script=1") {
				t.Errorf("%s: the payload is not shown as text", path)
			}
		}
		do(t, ctx, "interstitial", chromedp.Navigate(inst.URL+"/go?url="+url.QueryEscape(hostSrv.URL+"/p2")), chromedp.WaitVisible(css(`#go-url`)))
		goURL := get(t, ctx, "interstitial URL", chromedp.Text(css(`#go-url`)))
		embedded := get(t, ctx, "embedded objects", chromedp.Evaluate[int](`document.images.length + document.querySelectorAll("iframe,object,embed").length`))
		if goURL != hostSrv.URL+"/p2" || embedded != 0 {
			t.Errorf("interstitial shows %q with %d embedded objects", goURL, embedded)
		}
		do(t, ctx, "copy", chromedp.Click(css(`button[data-copy]`)), chromedp.WaitVisible(css(`#copy-status`)))
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(loc, inst.URL+"/go?") {
			t.Errorf("the interstitial navigated to %s", loc)
		}
		if hits := can.seen(); len(hits) != 0 {
			t.Fatalf("the canary saw %d requests from the browser: %v", len(hits), hits)
		}
	})

	t.Run("a crawl is started, paused and resumed from the page", func(t *testing.T) {
		do(t, ctx, "start a crawl",
			chromedp.Navigate(inst.URL+"/crawls"),
			chromedp.WaitVisible(css(`#start-crawl`)),
			chromedp.SendKeys(css(`#start-crawl textarea[name="seeds"]`), slowSrv.URL+"/p/0"),
			chromedp.SetValue(css(`#start-crawl input[name="max_pages"]`), "100000"),
			chromedp.SetValue(css(`#start-crawl input[name="max_depth"]`), "-1"),
			chromedp.SetValue(css(`#start-crawl input[name="case_id"]`), "e2e"),
			chromedp.Click(css(`#start-crawl button`)),
		)
		status := get(t, ctx, "start status", chromedp.Poll[string](`document.getElementById("start-status").textContent.startsWith("started ") && document.getElementById("start-status").textContent`, chromedp.WithPollingTimeout(30*time.Second)))
		id := strings.TrimPrefix(status, "started ")
		t.Cleanup(func() {
			if resp, err := http.Post(inst.URL+"/api/crawls/"+id+"/stop", "application/json", nil); err == nil {
				resp.Body.Close()
			}
		})
		row := `tr[data-id="` + id + `"]`
		pagesIn := func(state string) int {
			do(t, ctx, "wait for a "+state+" crawl", chromedp.WaitVisible(css(row+`[data-state="`+state+`"]`)))
			return get(t, ctx, "pages", chromedp.Evaluate[int](`parseInt(document.querySelector('`+row+` td.pages').textContent, 10)`))
		}
		pagesIn("running")
		do(t, ctx, "some pages fetched", chromedp.Poll[chromedp.Void](`parseInt(document.querySelector('`+row+` td.pages').textContent, 10) > 0`, chromedp.WithPollingTimeout(60*time.Second)))
		screenshot(t, ctx, "crawls")
		do(t, ctx, "pause", chromedp.Click(css(row+` button.crawl-pause`)))
		paused := pagesIn("paused")
		do(t, ctx, "resume", chromedp.Click(css(row+` button.crawl-resume`)))
		pagesIn("running")
		do(t, ctx, "pages grow after resume",
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`parseInt(document.querySelector('%s td.pages').textContent, 10) > %d`, row, paused+5), chromedp.WithPollingTimeout(60*time.Second)))
		var st vigil.CrawlStatus
		getJSON(t, inst.URL, "/api/crawls/"+id, &st)
		if st.State != "running" || st.Pages <= paused {
			t.Fatalf("after resume the API reports %+v (paused at %d pages)", st, paused)
		}
		var audit struct{ Entries []struct{ Action string } }
		getJSON(t, inst.URL, "/api/audit?action=crawl.&q="+id, &audit)
		var actions []string
		for _, e := range audit.Entries {
			actions = append(actions, e.Action)
		}
		if !slices.Contains(actions, "crawl.pause") || !slices.Contains(actions, "crawl.resume") {
			t.Fatalf("audit log for %s has %v, want crawl.pause and crawl.resume", id, actions)
		}
	})

	t.Run("a schedule is created and paused from the page, and the admin finds it in the audit log", func(t *testing.T) {
		browserSchedule(t, ctx, inst, demoSrv.URL+"/")
	})
}

// browserSchedule creates a schedule from the crawls page, pauses it there,
// checks the scheduler and a reload agree, and finds both changes by
// filtering the audit page as an admin. It runs as the last step of
// TestBrowser (shared instance and browser).
func browserSchedule(t *testing.T, ctx context.Context, inst *instance, seed string) {
	do(t, ctx, "create a schedule",
		chromedp.Navigate(inst.URL+"/crawls"),
		chromedp.WaitVisible(css(`#create-schedule`)),
		chromedp.SendKeys(css(`#create-schedule textarea[name="seeds"]`), seed),
		chromedp.SetValue(css(`#create-schedule input[name="every"]`), "720h"),
		chromedp.SetValue(css(`#create-schedule input[name="max_pages"]`), "1"),
		chromedp.SetValue(css(`#create-schedule input[name="case_id"]`), "e2e"),
		chromedp.SetValue(css(`#create-schedule input[name="note"]`), "monthly re-crawl"),
		chromedp.Click(css(`#create-schedule button`)),
	)
	status := get(t, ctx, "create status", chromedp.Poll[string](`(s => s.startsWith("created ") && s)(document.getElementById("schedule-status").textContent)`, chromedp.WithPollingTimeout(30*time.Second)))
	id := strings.TrimPrefix(status, "created ")
	t.Cleanup(func() {
		if req, err := http.NewRequest("DELETE", inst.URL+"/api/schedules/"+id, nil); err == nil {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	})
	row := `#schedules tr[data-id="` + id + `"]`
	do(t, ctx, "the new schedule is listed, active", chromedp.WaitVisible(css(row+`[data-state="active"]`)))
	do(t, ctx, "pause it", chromedp.Click(css(row+` button.schedule-pause`)), chromedp.WaitVisible(css(row+`[data-state="paused"] button.schedule-resume`)))
	var st vigil.ScheduleStatus
	waitFor(t, "the scheduler lists "+id+" as paused", time.Minute, func() bool {
		var list []vigil.ScheduleStatus
		getJSON(t, inst.URL, "/api/schedules", &list)
		for _, s := range list {
			if s.ID == id {
				st = s
			}
		}
		return st.Paused
	})
	if st.Every != "720h0m0s" || st.Crawl.CaseID != "e2e" || st.Note != "monthly re-crawl" || !slices.Equal(st.Crawl.Seeds, []string{seed}) {
		t.Fatalf("the scheduler holds %+v, not what the page sent", st)
	}
	// A reload renders the list on the server: the pause is the scheduler's.
	do(t, ctx, "reload", chromedp.Navigate(inst.URL+"/crawls"), chromedp.WaitVisible(css(row+`[data-state="paused"]`)))
	do(t, ctx, "show the schedules", chromedp.Evaluate[chromedp.Void](`document.getElementById("schedules-heading").scrollIntoView({block: "start"})`))
	screenshot(t, ctx, "schedules")

	do(t, ctx, "filter the audit log",
		chromedp.Navigate(inst.URL+"/audit"),
		chromedp.WaitVisible(css(`#audit-filter`)),
		chromedp.SetValue(css(`#audit-filter input[name="action"]`), "schedule."),
		chromedp.SetValue(css(`#audit-filter input[name="q"]`), id),
		chromedp.Click(css(`#audit-filter button`)),
		chromedp.WaitVisible(css(`#audit-entries td.action`)),
	)
	actions := get(t, ctx, "audit actions", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#audit-entries td.action")).map(td => td.textContent)`))
	if !slices.Equal(actions, []string{"schedule.pause", "schedule.create"}) {
		t.Fatalf("the audit page filtered on schedule. and %s lists %v, want [schedule.pause schedule.create]", id, actions)
	}
	screenshot(t, ctx, "audit")
}
