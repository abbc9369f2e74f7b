package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base32"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil"
	"vigil/crawler"
	"vigil/crawler/tor"
	"vigil/crawler/tor/tornet"
	"vigil/internal/demo"
)

// The Tor suite shares one private Tor network per test binary (bootstrap
// takes 15–60 s), started by the first test that needs it. Its processes
// stop when the test binary exits (tor's __OwningControllerProcess and the
// children's parent-death signal), and its directory lives under the
// directory TestMain removes.
var (
	torOnce   sync.Once
	torShared *sharedTor
	torErr    error
)

// sharedTor is the private network and what it serves.
type sharedTor struct {
	net    *tornet.Network
	forum  *demo.Site
	market *demo.Site
	canary *torCanary
	flaky  *flakySite
	took   time.Duration
}

// privateTor returns the shared private Tor network, starting it on first
// use. Its services: the demo forum and market, "leaky" (pages that link,
// redirect and embed images pointing at the canary's clear-web address),
// and "flaky" (a small site the outage test takes down).
func privateTor(t testing.TB) *sharedTor {
	t.Helper()
	torOnce.Do(func() {
		c, err := newTorCanary()
		if err != nil {
			torErr = err
			return
		}
		s := &sharedTor{
			forum:  demo.New(demo.Config{Kind: "forum"}),
			market: demo.New(demo.Config{Kind: "market"}),
			canary: c,
			flaky:  &flakySite{pages: 30},
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		t0 := time.Now()
		s.net, torErr = tornet.Start(ctx, tornet.Config{
			Dir:      filepath.Join(filepath.Dir(vigilBin), "tornet"),
			KeyCache: filepath.Join(os.TempDir(), "vigil-tornet-keys"),
			Services: []tornet.Service{
				{Name: "forum", Backend: s.forum},
				{Name: "market", Backend: s.market},
				{Name: "leaky", Backend: leakySite(c)},
				{Name: "flaky", Backend: s.flaky},
			},
			Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) },
		})
		s.took = time.Since(t0)
		torShared = s
	})
	if torErr != nil {
		t.Fatalf("private Tor network: %v", torErr)
	}
	return torShared
}

// torCanary is a TCP server on 127.0.0.1 that records every connection made to
// it. The crawler must never reach it: its address is a clear-web address,
// and the private Tor network has no exits.
type torCanary struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []string // remote addresses
}

func newTorCanary() (*torCanary, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &torCanary{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.conns = append(c.conns, conn.RemoteAddr().String())
			c.mu.Unlock()
			conn.Close()
		}
	}()
	return c, nil
}

func (c *torCanary) Port() string {
	_, p, _ := net.SplitHostPort(c.ln.Addr().String())
	return p
}

func (c *torCanary) Conns() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.conns...)
}

// leakySite links, redirects and points images at the canary, by IP and by
// a name (which would need a DNS lookup).
func leakySite(c *torCanary) http.Handler {
	byIP := "http://127.0.0.1:" + c.Port()
	byName := "http://canary.invalid:" + c.Port()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><head><title>leaky index</title></head><body>
<a href="%[1]s/linked">by ip</a> <a href="%[2]s/linked">by name</a>
<a href="/redirect-ip">redirect by ip</a> <a href="/redirect-name">redirect by name</a>
<img src="%[1]s/pixel.png"> <img src="%[2]s/pixel.png">
<form action="%[1]s/form"></form><iframe src="%[1]s/frame"></iframe>
<link rel="stylesheet" href="%[1]s/style.css"><script src="%[2]s/app.js"></script>
</body></html>`, byIP, byName)
	})
	mux.HandleFunc("GET /redirect-ip", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, byIP+"/redirected", http.StatusFound)
	})
	mux.HandleFunc("GET /redirect-name", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, byName+"/redirected", http.StatusMovedPermanently)
	})
	return mux
}

// flakySite is a small site whose index links to every page; the outage
// test takes its onion service down after it has served some pages.
type flakySite struct {
	pages  int
	served atomic.Int64
	mu     sync.Mutex
	onHit  func(n int64)
}

func (f *flakySite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.served.Add(1)
	f.mu.Lock()
	hook := f.onHit
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, "<html><head><title>flaky %s</title></head><body>", r.URL.Path)
	if r.URL.Path == "/" {
		for i := 1; i <= f.pages; i++ {
			fmt.Fprintf(&b, `<a href="/p/%d">page %d</a> `, i, i)
		}
	}
	b.WriteString("</body></html>")
	w.Write([]byte(b.String()))
}

// onionFor returns the v3 onion address of a public key derived from seed:
// well-formed (version 3, valid checksum) but never published.
func onionFor(seed string, corrupt bool) string {
	// Tor checks that the key is a valid ed25519 point: derive a real key.
	key := sha256.Sum256([]byte(seed))
	pub := ed25519.NewKeyFromSeed(key[:]).Public().(ed25519.PublicKey)
	buf := append([]byte(".onion checksum"), pub...)
	buf = append(buf, 3)
	sum := sha3.Sum256(buf)
	addr := append(append(append([]byte{}, pub...), sum[:2]...), 3)
	if corrupt {
		addr[32] ^= 0xFF // the checksum no longer matches
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(addr)) + ".onion"
}

// torCrawlWait runs `vigil crawl --wait` and returns the crawl ID.
func torCrawlWait(t *testing.T, inst *instance, seeds ...string) string {
	t.Helper()
	args := append([]string{"crawl", "--server", inst.URL, "--case", "e2e", "--depth", "-1", "--max-pages", "5000", "--wait"}, seeds...)
	out, errOut, code := runVigil(t, args...)
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s\n%s", code, errOut, out)
	}
	f := strings.Fields(out)
	if len(f) < 2 || !strings.HasPrefix(f[1], "crawl-") {
		t.Fatalf("crawl output does not name the crawl: %q", out)
	}
	return f[1]
}

// TestTorCrawlDemoOnions is the issue's end-to-end proof: `vigil up
// --tor-socks` pointed at the private network's client crawls the demo forum
// and market, served as two onion services, in one crawl; every page lands in
// the index exactly once (the document count equals the number of pages, and
// each page's deterministic ID is there); planted contacts are found by
// `vigil search`, and image hashes are indexed.
func TestTorCrawlDemoOnions(t *testing.T) {
	tn := privateTor(t)
	t.Logf("private Tor network bootstrap: %v", tn.took.Round(time.Millisecond))
	forumURL, marketURL := "http://"+tn.net.Onion("forum"), "http://"+tn.net.Onion("market")
	total := len(tn.forum.Pages()) + len(tn.market.Pages())
	if total < 300 {
		t.Fatalf("the demo onions have %d pages; the test needs at least 300", total)
	}

	inst := startUp(t, "--onion-concurrency", "0", "--onion-delay", "0", "--tor-socks", tn.net.SOCKSAddr(), "--concurrency", "8")
	start := time.Now()
	crawlID := torCrawlWait(t, inst, forumURL+"/", marketURL+"/")
	took := time.Since(start)
	var st vigil.CrawlStatus
	getJSON(t, inst.URL, "/api/crawls/"+crawlID, &st)
	t.Logf("crawled %d pages (%d images) through Tor in %v (%.1f pages/s)", st.Indexed, st.Images, took.Round(time.Millisecond), float64(st.Indexed)/took.Seconds())
	if st.State != "finished" || st.Pages != total || st.Indexed != total || st.Errors != 0 {
		t.Fatalf("crawl status = %+v; want finished, %d pages fetched and indexed, no errors", st, total)
	}

	var stats vigil.Stats
	getJSON(t, inst.URL, "/api/stats", &stats)
	if stats.Documents != total {
		t.Fatalf("index holds %d documents; the onions have %d pages", stats.Documents, total)
	}
	for _, site := range []struct {
		base string
		s    *demo.Site
	}{{forumURL, tn.forum}, {marketURL, tn.market}} {
		for _, p := range site.s.Pages() {
			id := vigil.DocumentID(crawlID, site.base+p)
			var doc struct{ Document vigil.Document }
			if code := getJSON(t, inst.URL, "/api/documents/"+id, &doc); code != 200 || doc.Document.URL != site.base+p {
				t.Fatalf("page %s%s: GET document %s answered %d (%q)", site.base, p, id, code, doc.Document.URL)
			}
		}
	}
	distinct := len(tn.forum.Images()) + len(tn.market.Images())
	if distinct == 0 || stats.Images < distinct {
		t.Fatalf("index holds %d image hashes; the onions serve %d distinct images", stats.Images, distinct)
	}

	// Planted contacts of both sites, found through the CLI on their page.
	for _, site := range []struct {
		base string
		s    *demo.Site
	}{{forumURL, tn.forum}, {marketURL, tn.market}} {
		var p *demo.Planted
		for _, u := range site.s.Unique() {
			if u.Kind == vigil.KindEmail || u.Kind == vigil.KindPhone {
				p = &u
				break
			}
		}
		if p == nil {
			t.Fatalf("%s plants no unique email or phone", site.base)
		}
		out, errOut, code := runVigil(t, "search", "--server", inst.URL, "--json", "--kind", string(p.Kind), p.Value)
		if code != 0 {
			t.Fatalf("search %s exited %d: %s", p.Value, code, errOut)
		}
		found := false
		for _, r := range jsonLines(t, out) {
			if r["kind"] == string(p.Kind) && r["value"] == p.Value && r["url"] == site.base+p.Path {
				found = true
			}
		}
		if !found {
			t.Fatalf("search --kind %s %s found nothing on %s%s: %s", p.Kind, p.Value, site.base, p.Path, out)
		}
	}
}

// TestTorLeakProxyDown: with the SOCKS proxy down, a crawl fails closed. The
// batch fails with the proxy error (and is retried by the workflow), no page
// is fetched or reported, and the canary, which is one of the seeds, sees no
// connection at all.
func TestTorLeakProxyDown(t *testing.T) {
	c, err := newTorCanary()
	if err != nil {
		t.Fatal(err)
	}
	defer c.ln.Close()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now

	inst := startUp(t, "--tor-socks", deadAddr)
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "e2e", "--depth", "-1",
		"http://127.0.0.1:"+c.Port()+"/", "http://localhost:"+c.Port()+"/", "http://"+onionFor("proxy-down", false)+"/")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s %s", code, errOut, out)
	}
	crawlID := strings.Fields(out)[1]
	var st vigil.CrawlStatus
	deadline := time.Now().Add(2 * time.Minute)
	for {
		getJSON(t, inst.URL, "/api/crawls/"+crawlID, &st)
		if strings.Contains(inst.logs.String(), "failing closed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fail-closed error within 2 minutes; status %+v\n%s", st, tail(inst.logs.String(), 3000))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if st.Pages != 0 || st.Errors != 0 || st.Indexed != 0 {
		t.Fatalf("crawl status with the proxy down = %+v; want nothing fetched or reported", st)
	}
	if conns := c.Conns(); len(conns) != 0 {
		t.Fatalf("the canary saw %d connections with the proxy down: %v", len(conns), conns)
	}
	if code := postStop(t, inst.URL, crawlID); code >= 300 {
		t.Fatalf("stop crawl answered %d", code)
	}
}

func postStop(t *testing.T, base, id string) int {
	t.Helper()
	resp, err := http.Post(base+"/api/crawls/"+id+"/stop", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTorLeakNoDirectConnectionOrDNS runs two crawls through the private
// network at once. One crawls an onion whose pages link to, redirect to and
// embed images from the canary's clear-web address, by IP and by name
// (out of scope: the links are not followed, the redirects are captured, not
// followed). The other has the canary's two addresses as seeds, so the
// crawler really asks for them: through Tor, which has no exits here, so
// both pages fail. Nothing may reach the canary.
//
// No DNS lookup: the vigil process runs with GODEBUG=netdns=go+2, which
// forces Go's own resolver (no cgo/libc resolver is used in the process) and
// makes package net print "go package net: hostLookupOrder(NAME)" to stderr
// for every host-name lookup, LookupHost and Dial alike. vigil listens on
// "localhost:0", so the trace must show that one lookup (proof that the
// trace is on in that process); it must show none for the canary's name or
// any onion: the crawler hands names to the SOCKS proxy unresolved (ATYP
// 0x03, asserted byte by byte in crawler/tor's unit tests).
func TestTorLeakNoDirectConnectionOrDNS(t *testing.T) {
	tn := privateTor(t)
	t.Setenv("GODEBUG", "netdns=go+2")
	// No environment override: this test found the embedded Temporal
	// server's version check (a lookup of version-info.temporal.io), and
	// devserver now turns it off itself.
	inst := startUp(t, "--onion-concurrency", "0", "--onion-delay", "0", "--tor-socks", tn.net.SOCKSAddr(), "--listen", "localhost:0")
	out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "e2e", "--depth", "-1",
		"http://127.0.0.1:"+tn.canary.Port()+"/seed", "http://canary.invalid:"+tn.canary.Port()+"/seed")
	if code != 0 {
		t.Fatalf("vigil crawl exited %d: %s %s", code, errOut, out)
	}
	direct := strings.Fields(out)[1]
	leaky := torCrawlWait(t, inst, "http://"+tn.net.Onion("leaky")+"/")

	var st vigil.CrawlStatus
	getJSON(t, inst.URL, "/api/crawls/"+leaky, &st)
	// The leaky index and its two redirect pages are captured; nothing else.
	if st.State != "finished" || st.Indexed != 3 || st.Errors != 0 {
		t.Fatalf("leaky crawl status = %+v; want finished, 3 pages indexed, no errors", st)
	}
	st = pollCrawl(t, inst.URL, direct, 4*time.Minute, vigil.CrawlStatus.Done)
	if st.State != "finished" || st.Indexed != 0 || st.Errors != 2 {
		t.Fatalf("canary crawl status = %+v; want finished with both seeds failed", st)
	}
	if conns := tn.canary.Conns(); len(conns) != 0 {
		t.Fatalf("the canary saw %d connections: %v", len(conns), conns)
	}
	logs := inst.logs.String()
	if !strings.Contains(logs, "hostLookupOrder(localhost)") {
		t.Fatalf("the DNS trace is not active in the vigil process (no lookup of localhost logged):\n%s", tail(logs, 2000))
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "hostLookupOrder(") && !strings.Contains(line, "hostLookupOrder(localhost)") {
			t.Errorf("the vigil process looked a name up: %s", line)
		}
	}
}

// TestTorOnionErrorsArePermanentPerPage crawls a valid but unpublished onion
// (tor answers 0xF0, descriptor not found), a malformed one (bad checksum:
// 0xF6, invalid address) and the leaky onion in one crawl: the two bad seeds
// fail as pages, each reported once with its code and not retried; the
// crawl goes on and finishes.
func TestTorOnionErrorsArePermanentPerPage(t *testing.T) {
	tn := privateTor(t)
	inst := startUp(t, "--onion-concurrency", "0", "--onion-delay", "0", "--tor-socks", tn.net.SOCKSAddr())
	unknown, malformed := onionFor("vigil-unknown", false), onionFor("vigil-malformed", true)
	crawlID := torCrawlWait(t, inst, "http://"+unknown+"/", "http://"+malformed+"/", "http://"+tn.net.Onion("leaky")+"/")
	var st vigil.CrawlStatus
	getJSON(t, inst.URL, "/api/crawls/"+crawlID, &st)
	if st.State != "finished" || st.Errors != 2 || st.Indexed != 3 {
		t.Fatalf("crawl status = %+v; want finished with the 2 bad onions failed and 3 leaky pages indexed", st)
	}
	logs := inst.logs.String()
	for _, c := range []struct{ host, code string }{{unknown, "(0xF0)"}, {malformed, "(0xF6)"}} {
		n := 0
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, "page failed") && strings.Contains(line, c.host) {
				n++
				if !strings.Contains(line, c.code) {
					t.Errorf("%s failed without %s: %s", c.host, c.code, line)
				}
			}
			if strings.Contains(line, "retried") && strings.Contains(line, c.host) {
				t.Errorf("a permanent failure was retried: %s", line)
			}
		}
		if n != 1 {
			t.Errorf("%s reported %d times, want once", c.host, n)
		}
	}
}

// TestTorOutageMidCrawl takes the flaky onion service down after it has
// served 8 pages, while one crawl fetches it and the market: the flaky pages
// left are retried on fresh circuits, then reported as failed pages; the
// market is crawled completely and the crawl finishes.
func TestTorOutageMidCrawl(t *testing.T) {
	tn := privateTor(t)
	inst := startUp(t, "--onion-concurrency", "0", "--onion-delay", "0", "--tor-socks", tn.net.SOCKSAddr(), "--concurrency", "8")
	var once sync.Once
	stopped := make(chan struct{})
	tn.flaky.mu.Lock()
	tn.flaky.onHit = func(n int64) {
		if n >= 8 {
			once.Do(func() {
				go func() { tn.net.StopService("flaky"); close(stopped) }()
			})
		}
	}
	tn.flaky.mu.Unlock()
	flaky := "http://" + tn.net.Onion("flaky")
	marketURL := "http://" + tn.net.Onion("market")
	crawlID := torCrawlWait(t, inst, flaky+"/", marketURL+"/")
	select {
	case <-stopped:
	default:
		t.Fatalf("the flaky service was never stopped (served %d)", tn.flaky.served.Load())
	}

	var st vigil.CrawlStatus
	getJSON(t, inst.URL, "/api/crawls/"+crawlID, &st)
	want := len(tn.market.Pages())
	if st.State != "finished" || st.Errors == 0 || st.Indexed < want {
		t.Fatalf("crawl status = %+v; want finished, flaky pages failed, all %d market pages indexed", st, want)
	}
	for _, p := range tn.market.Pages() {
		var doc struct{ Document vigil.Document }
		if code := getJSON(t, inst.URL, "/api/documents/"+vigil.DocumentID(crawlID, marketURL+p), &doc); code != 200 {
			t.Fatalf("market page %s missing after the flaky outage (%d)", p, code)
		}
	}
	logs := inst.logs.String()
	host := tn.net.Onion("flaky")
	var retried, failed int
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, host) && strings.Contains(line, "retried on a new circuit") {
			retried++
		}
		if strings.Contains(line, host) && strings.Contains(line, "page failed") {
			failed++
		}
	}
	t.Logf("flaky: %d pages served before the outage, %d retries, %d pages reported failed", tn.flaky.served.Load(), retried, failed)
	if retried == 0 || failed == 0 || failed != st.Errors {
		t.Fatalf("flaky outage: %d retries and %d failed pages logged, status errors %d; want retries and every failure reported", retried, failed, st.Errors)
	}
}

// TestTorCircuitPerSite crawls the forum and the market onions in one crawl
// with the Vigil crawler and the Tor transport, while watching the client's
// STREAM events on its control port: every stream to the forum and every
// stream to the market succeeds on a circuit of its own site (the two sets
// of circuit IDs are disjoint), under the SOCKS username crawl/host:port,
// and GETINFO circuit-status shows the two rendezvous circuits with those
// usernames.
func TestTorCircuitPerSite(t *testing.T) {
	tn := privateTor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctl, err := tn.net.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	if err := ctl.SetEvents(ctx, "STREAM"); err != nil {
		t.Fatal(err)
	}
	type use struct{ circuits, users map[string]bool }
	uses := map[string]*use{}
	var mu sync.Mutex
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for ev := range ctl.Events() {
			se, ok := tor.ParseStreamEvent(ev)
			if !ok || se.Status != "SUCCEEDED" {
				continue
			}
			mu.Lock()
			u := uses[se.Target]
			if u == nil {
				u = &use{map[string]bool{}, map[string]bool{}}
				uses[se.Target] = u
			}
			u.circuits[se.CircuitID] = true
			u.users[se.SOCKSUsername] = true
			mu.Unlock()
		}
	}()

	key := "isolation-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	rt, err := tor.NewTransport(tor.Config{SOCKSAddr: tn.net.SOCKSAddr(), IsolationKey: key})
	if err != nil {
		t.Fatal(err)
	}
	c, err := crawler.New(crawler.Config{Transport: rt, Concurrency: 6})
	if err != nil {
		t.Fatal(err)
	}
	forum, market := tn.net.Onion("forum"), tn.net.Onion("market")
	scope, reqs, err := crawler.ScopeFor([]string{"http://" + forum + "/", "http://" + market + "/"})
	if err != nil {
		t.Fatal(err)
	}
	_, stats, err := c.Crawl(ctx, reqs, scope, 60, crawler.NewMemorySeen(), crawler.Handler{})
	if err != nil || stats.Pages < 60 || stats.Errors != 0 {
		t.Fatalf("crawl: %+v, %v", stats, err)
	}
	circs, err := ctl.Circuits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Unsubscribing flushes (tor answers after every earlier event), and
	// closing ends the collector once it has read every buffered event.
	if err := ctl.SetEvents(ctx); err != nil {
		t.Fatal(err)
	}
	ctl.Close()
	<-collected

	mu.Lock()
	defer mu.Unlock()
	fu, mk := uses[forum+":80"], uses[market+":80"]
	if fu == nil || mk == nil {
		t.Fatalf("no successful streams seen for both onions: %v", uses)
	}
	for id := range fu.circuits {
		if mk.circuits[id] {
			t.Fatalf("circuit %s carried streams to both onions (forum %v, market %v)", id, fu.circuits, mk.circuits)
		}
	}
	for host, u := range map[string]*use{forum: fu, market: mk} {
		// A retried connection uses want + "/N": still this site's own.
		want := key + "/" + host + ":80"
		for user := range u.users {
			if user != want && !strings.HasPrefix(user, want+"/") {
				t.Fatalf("streams to %s used SOCKS usernames %v; want %q", host, u.users, want)
			}
		}
	}
	t.Logf("forum streams on circuits %v, market streams on circuits %v", keys(fu.circuits), keys(mk.circuits))
	rend := map[string]string{} // onion → circuit ID
	for _, ci := range circs {
		if ci.Purpose == "HS_CLIENT_REND" && strings.HasPrefix(ci.SOCKSUsername, key+"/") {
			if prev, dup := rend[ci.RendQuery]; dup && prev == ci.ID {
				continue
			}
			rend[ci.RendQuery] = ci.ID
			if want := key + "/" + ci.RendQuery + ".onion:80"; !strings.HasPrefix(ci.SOCKSUsername, want) {
				t.Fatalf("rendezvous circuit %s to %s has SOCKS username %q, want %q", ci.ID, ci.RendQuery, ci.SOCKSUsername, want)
			}
		}
	}
	fq, mq := strings.TrimSuffix(forum, ".onion"), strings.TrimSuffix(market, ".onion")
	if rend[fq] == "" || rend[mq] == "" || rend[fq] == rend[mq] {
		t.Fatalf("circuit-status rendezvous circuits: %v; want distinct ones for %s and %s", rend, fq, mq)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTorManagedTor runs `vigil up` without --tor-socks, so it starts its own
// tor. Pointed (through the hidden --tor-config flag) at a directory
// authority on 127.0.0.1 where nothing listens, the managed tor never
// bootstraps, as on a machine without Internet access: search answers at
// once, and a crawl waits, saying "tor is still bootstrapping (NN%)",
// without fetching or failing anything. Pointed at the private network, the
// managed tor bootstraps and a crawl of an onion finishes; a crawl seeded
// at a canary on 127.0.0.1 fails both pages, tor refusing the private
// address (issue 21, finding 9), and the canary sees nothing.
func TestTorManagedTor(t *testing.T) {
	tn := privateTor(t)
	dir := t.TempDir()
	stuck := filepath.Join(dir, "stuck.torrc")
	os.WriteFile(stuck, []byte("TestingTorNetwork 1\nDirAuthority nowhere orport=1 v3ident=0000000000000000000000000000000000000000 127.0.0.1:1 0000000000000000000000000000000000000000\n"), 0o600)
	private := filepath.Join(dir, "private.torrc")
	os.WriteFile(private, []byte(strings.Join(tn.net.ClientTorrc(), "\n")+"\n"), 0o600)

	t.Run("search works and crawls wait while tor bootstraps", func(t *testing.T) {
		inst := startUp(t, "--tor-config", stuck)
		var res vigil.SearchResult
		if code := getJSON(t, inst.URL, "/api/search?q=anything", &res); code != 200 {
			t.Fatalf("search answered %d while tor bootstraps", code)
		}
		out, errOut, code := runVigil(t, "crawl", "--server", inst.URL, "--case", "e2e", "http://"+tn.net.Onion("leaky")+"/")
		if code != 0 {
			t.Fatalf("vigil crawl exited %d: %s %s", code, errOut, out)
		}
		id := strings.Fields(out)[1]
		deadline := time.Now().Add(2 * time.Minute)
		for !strings.Contains(inst.logs.String(), "tor is still bootstrapping (") {
			if time.Now().After(deadline) {
				t.Fatalf("no 'still bootstrapping' message within 2 minutes:\n%s", tail(inst.logs.String(), 3000))
			}
			time.Sleep(250 * time.Millisecond)
		}
		var st vigil.CrawlStatus
		getJSON(t, inst.URL, "/api/crawls/"+id, &st)
		if st.Done() || st.Pages != 0 || st.Errors != 0 {
			t.Fatalf("crawl status while tor bootstraps = %+v; want running, nothing fetched or failed", st)
		}
		if !strings.Contains(inst.logs.String(), "managed tor") {
			t.Fatalf("no log line about the managed tor:\n%s", tail(inst.logs.String(), 3000))
		}
		postStop(t, inst.URL, id)
	})

	t.Run("a bootstrapped managed tor crawls an onion", func(t *testing.T) {
		inst := startUp(t, "--onion-concurrency", "0", "--onion-delay", "0", "--tor-config", private)
		id := torCrawlWait(t, inst, "http://"+tn.net.Onion("leaky")+"/")
		var st vigil.CrawlStatus
		getJSON(t, inst.URL, "/api/crawls/"+id, &st)
		if st.State != "finished" || st.Indexed != 3 || st.Errors != 0 {
			t.Fatalf("crawl status = %+v; want finished with the 3 leaky pages", st)
		}
		if _, err := os.Stat(filepath.Join(inst.Data, "tor", "torrc")); err != nil {
			t.Fatalf("the managed tor has no data directory under vigil's: %v", err)
		}

		// A seed on 127.0.0.1 in Tor mode: the private network's client
		// defaults would let tor try it, the managed tor's own torrc
		// (ClientRejectInternalAddresses 1) makes tor refuse it at once.
		c, err := newTorCanary()
		if err != nil {
			t.Fatal(err)
		}
		defer c.ln.Close()
		id = torCrawlWait(t, inst, "http://127.0.0.1:"+c.Port()+"/seed", "http://localhost:"+c.Port()+"/seed")
		getJSON(t, inst.URL, "/api/crawls/"+id, &st)
		if st.State != "finished" || st.Indexed != 0 || st.Errors != 2 {
			t.Fatalf("crawl of 127.0.0.1 and localhost through the managed tor = %+v; want finished with both seeds failed", st)
		}
		if conns := c.Conns(); len(conns) != 0 {
			t.Fatalf("the canary on 127.0.0.1 saw %d connections through the managed tor: %v", len(conns), conns)
		}
		log, _ := os.ReadFile(filepath.Join(inst.Data, "tor", "notice.log"))
		if !strings.Contains(string(log), "Rejecting SOCKS request for anonymous connection to private address") {
			t.Fatalf("the managed tor does not say it refused the private address:\n%s", tail(string(log), 3000))
		}
	})
}
