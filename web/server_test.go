package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil"
	"vigil/cases/audit"
	"vigil/store/embedded"
)

// hostile is crawled text full of markup that must reach the page as text.
const hostile = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> call +1 415 555 0123 </textarea>`

type fakeStore struct{ vigil.Store }

func (fakeStore) Search(_ context.Context, q vigil.Query) (vigil.SearchResult, error) {
	doc := vigil.Document{ID: "d1", Site: "forum.example:80", URL: `http://forum.example/"><script>alert(1)</script>`, Title: hostile, CapturedAt: time.Unix(1.7e9, 0)}
	return vigil.SearchResult{Total: 1, Hits: []vigil.SearchHit{{Document: doc, Snippet: hostile}},
		Facets: map[string][]vigil.FacetTerm{"site": {{Term: "forum.example:80", Count: 1}}, "kind": {{Term: "phone", Count: 1}}}}, nil
}

func (fakeStore) Findings(_ context.Context, q vigil.FindingQuery) (vigil.FindingResult, error) {
	f := vigil.Finding{Kind: vigil.KindPhone, Value: "+14155550123", DocumentID: "d1", Site: "forum.example:80", URL: "http://forum.example/t/1", Snippet: hostile, CapturedAt: time.Unix(1.7e9, 0)}
	return vigil.FindingResult{Total: 1, Findings: []vigil.Finding{f}}, nil
}

func (fakeStore) Document(_ context.Context, id string) (vigil.Document, error) {
	if id != "d1" {
		return vigil.Document{}, vigil.Errorf(vigil.ENOTFOUND, "no document %s", id)
	}
	return vigil.Document{ID: "d1", URL: "http://forum.example/t/1", Title: hostile, Text: hostile}, nil
}

func (fakeStore) Stats(context.Context) (vigil.Stats, error) { return vigil.Stats{Documents: 1}, nil }

type fakeCrawls struct{ vigil.CrawlService }

func (fakeCrawls) Crawls(context.Context) ([]vigil.CrawlStatus, error) {
	return []vigil.CrawlStatus{{ID: "crawl-1", State: "running"}}, nil
}
func (fakeCrawls) ControlCrawl(context.Context, string, string) error { return nil }
func (fakeCrawls) StartCrawl(_ context.Context, r vigil.CrawlRequest) (vigil.CrawlStatus, error) {
	return vigil.CrawlStatus{ID: "crawl-2", State: "running"}, nil
}

type fixture struct {
	srv    *Server
	log    *audit.Log
	tokens map[string]string // role → token
}

// logAndTokens opens an audit log and an empty token store in a new
// directory.
func logAndTokens(t *testing.T) (*audit.Log, *Tokens) {
	t.Helper()
	dir := t.TempDir()
	log, err := audit.Open(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	ts, err := OpenTokens(filepath.Join(dir, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	return log, ts
}

func newFixture(t *testing.T, require bool) *fixture {
	t.Helper()
	log, ts := logAndTokens(t)
	f := &fixture{log: log, tokens: map[string]string{}}
	for _, r := range []Role{RoleViewer, RoleInvestigator, RoleAnalyst, RoleAdmin} {
		tok, _, err := ts.Create(r.String()+"-user", r, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[r.String()] = tok
	}
	ts.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	tok, _, err := ts.Create("old", RoleAdmin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ts.now = time.Now
	f.tokens["expired"] = tok
	f.srv = New(Config{Store: fakeStore{}, Crawls: fakeCrawls{}, Audit: log, Tokens: ts, RequireToken: require})
	return f
}

func (f *fixture) do(t *testing.T, method, path, token string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

func TestRolesAndTokens(t *testing.T) {
	f := newFixture(t, true)
	tests := []struct {
		method, path, who string
		want              int
	}{
		{"GET", "/api/search?q=x", "", 401},
		{"GET", "/api/search?q=x", "expired", 401},
		{"GET", "/api/search?q=x", "vigil_unknown", 401},
		{"GET", "/api/search?q=x", "viewer", 200},
		{"GET", "/api/documents/d1", "viewer", 200},
		{"GET", "/api/crawls", "viewer", 200},
		{"POST", "/api/crawls/crawl-1/pause", "viewer", 403},
		{"POST", "/api/crawls/crawl-1/pause", "investigator", 200},
		{"GET", "/api/audit", "analyst", 403},
		{"GET", "/api/audit", "admin", 200},
		{"GET", "/api/tokens", "investigator", 403},
		{"GET", "/api/tokens", "admin", 200},
		{"GET", "/match", "investigator", 403},
		{"GET", "/match", "analyst", 200},
		{"GET", "/audit", "admin", 200},
		{"GET", "/", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path+" as "+tc.who+" answers "+http.StatusText(tc.want), func(t *testing.T) {
			tok := f.tokens[tc.who]
			if tok == "" {
				tok = tc.who
			}
			w := f.do(t, tc.method, tc.path, tok, nil)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if strings.HasPrefix(tc.path, "/api/") && tc.want >= 400 {
				var e ErrorResponse
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("error body %q is not a JSON error", w.Body)
				}
				if (tc.who == "expired" || tc.who == "vigil_unknown") && e.Error != ErrBadToken.Message {
					t.Fatalf("error %q is not the generic refusal %q", e.Error, ErrBadToken.Message)
				}
			}
		})
	}
	t.Run("the audit log names the token's user", func(t *testing.T) {
		es, _, err := f.log.Search(audit.Filter{Action: "search"})
		if err != nil || len(es) == 0 || es[0].User != "viewer-user" {
			t.Fatalf("audit search entries = %+v, %v", es, err)
		}
	})
}

// TestOpenLoopbackServerIsLocalAdmin: a server without any token answers a
// request without one (for its loopback Host) as the admin "local".
func TestOpenLoopbackServerIsLocalAdmin(t *testing.T) {
	srv, log := openServer(t)
	if w := serveHost(srv, "GET", "/api/audit", "127.0.0.1:8080", ""); w.Code != 200 {
		t.Fatalf("GET /api/audit without a token on an open server = %d", w.Code)
	}
	if es, _, err := log.Search(audit.Filter{Action: "audit.search"}); err != nil || len(es) != 1 || es[0].User != "local" {
		t.Fatalf("audit entries %+v, %v; want one by local", es, err)
	}
}

// localRequest is httptest.NewRequest for the Host an open server answers.
func localRequest(method, path string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, path, body)
	req.Host = "127.0.0.1:8080"
	return req
}

func TestRequiredRoleClosesUnlistedRoutes(t *testing.T) {
	for pattern, want := range map[string]Role{
		"POST /api/match":     RoleAnalyst,
		"GET /api/watchlists": RoleAnalyst,
		"GET /api/alerts":     RoleAnalyst,
		"GET /api/export":     RoleAdmin,
		"GET /api/search":     RoleViewer,
	} {
		if got := RequiredRole(pattern); got != want {
			t.Errorf("RequiredRole(%q) = %s, want %s", pattern, got, want)
		}
	}
}

func TestMalformedAndOversizedRequests(t *testing.T) {
	f := newFixture(t, false)
	admin := f.tokens["admin"]
	for _, path := range []string{"/api/search?kind=nope", "/api/search?from=yesterday", "/api/search?limit=-1",
		"/api/search?offset=abc", "/api/search?q=" + strings.Repeat("a", 1001), "/api/search?q=%ff", "/api/findings?kind=nope",
		"/api/findings?limit=x", "/api/audit?limit=x"} {
		if w := f.do(t, "GET", path, admin, nil); w.Code != 400 {
			t.Errorf("GET %s = %d, want 400: %s", path, w.Code, w.Body)
		}
	}
	if w := f.do(t, "POST", "/api/crawls", admin, strings.NewReader(`{"seeds":`)); w.Code != 400 {
		t.Errorf("truncated JSON = %d, want 400", w.Code)
	}
	big := `{"seeds":["` + strings.Repeat("a", maxBody) + `"]}`
	if w := f.do(t, "POST", "/api/crawls", admin, strings.NewReader(big)); w.Code != 413 {
		t.Errorf("2 MiB JSON = %d, want 413", w.Code)
	}
	req := httptest.NewRequest("POST", "/api/crawls", strings.NewReader("{}"))
	req.ContentLength = MaxUpload + 1
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	if w.Code != 413 {
		t.Errorf("declared length over MaxUpload = %d, want 413", w.Code)
	}
	if w := f.do(t, "POST", "/api/crawls/crawl-1/pause", admin, nil, "Sec-Fetch-Site", "cross-site"); w.Code != 403 {
		t.Errorf("cross-site POST = %d, want 403", w.Code)
	}
}

func TestPagesEscapeCrawledContent(t *testing.T) {
	f := newFixture(t, false)
	admin := f.tokens["admin"]
	for _, path := range []string{"/?q=call", "/contact?kind=phone&value=%2B14155550123", "/doc/d1", "/go?url=" + `javascript:alert(1)//"><script>x</script>`} {
		w := f.do(t, "GET", path, admin, nil)
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("GET %s = %d: %s", path, w.Code, body)
		}
		for _, bad := range []string{"<script>window", "<script>alert", "<img", `href="javascript:`, "<script>x"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: page contains %q unescaped", path, bad)
			}
		}
		if !strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: CSP = %q", path, w.Header().Get("Content-Security-Policy"))
		}
		if path != "/go?url=" && strings.Contains(path, "q=call") && !strings.Contains(body, "<mark>+1 415 555 0123</mark>") {
			t.Errorf("the search page does not highlight the phone number in the snippet")
		}
	}
}

func TestHighlightEscapesFirst(t *testing.T) {
	got := string(highlight(`<b>mail a@b.c</b> & "+44 20 7946 0123"`, append(needlesFor(vigil.KindEmail, "a@b.c"), needlesFor(vigil.KindPhone, "+442079460123")...)...))
	want := `&lt;b&gt;mail <mark>a@b.c</mark>&lt;/b&gt; &amp; &#34;<mark>+44 20 7946 0123</mark>&#34;`
	if got != want {
		t.Fatalf("highlight = %s\nwant        %s", got, want)
	}
	if got := string(highlight("<x>", "re:(")); got != "&lt;x&gt;" {
		t.Fatalf("a bad needle must leave the text escaped, got %s", got)
	}
}

func TestTokensSurviveReopenAndRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	a, _ := OpenTokens(path)
	tok, rec, err := a.Create("alice", RoleAnalyst, 0)
	if err != nil || rec.SHA256 != "" {
		t.Fatalf("create = %+v, %v (the hash must not be returned)", rec, err)
	}
	if _, _, err := a.Create("alice", RoleViewer, 0); vigil.ErrorCode(err) != vigil.ECONFLICT {
		t.Fatalf("a duplicate name = %v, want conflict", err)
	}
	b, _ := OpenTokens(path) // another process
	if r, err := b.Authenticate(tok); err != nil || r.Name != "alice" || r.Role != "analyst" {
		t.Fatalf("authenticate in a second store = %+v, %v", r, err)
	}
	if err := a.Revoke("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(tok); vigil.ErrorCode(err) != vigil.EUNAUTHORIZED {
		t.Fatalf("a revoked token = %v, want unauthorized", err)
	}
}

// fakeScheduler is a crawl service with schedules, for the web layer's own
// checks (roles, audit, status codes); the real one is exercised end to end
// by e2e.TestBrowser and e2e.TestCrawlControlAndSchedulesFromTheCLI.
type fakeScheduler struct {
	fakeCrawls
	mu     sync.Mutex
	scheds map[string]*vigil.ScheduleStatus
}

func (f *fakeScheduler) CreateSchedule(_ context.Context, req vigil.ScheduleRequest) (vigil.ScheduleStatus, error) {
	if d, err := time.ParseDuration(req.Every); err != nil || d < time.Second {
		return vigil.ScheduleStatus{}, vigil.Errorf(vigil.EINVALID, "interval %q is not a duration of at least 1s", req.Every)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := &vigil.ScheduleStatus{ID: "sched-" + strconv.Itoa(len(f.scheds)+1), Every: req.Every, Crawl: req.Crawl, Note: req.Note}
	f.scheds[st.ID] = st
	return *st, nil
}

func (f *fakeScheduler) Schedules(context.Context) ([]vigil.ScheduleStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vigil.ScheduleStatus
	for _, st := range f.scheds {
		out = append(out, *st)
	}
	return out, nil
}

func (f *fakeScheduler) ControlSchedule(_ context.Context, id, cmd string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.scheds[id]
	if !ok {
		return vigil.Errorf(vigil.ENOTFOUND, "no schedule %s", id)
	}
	switch cmd {
	case "pause", "resume":
		st.Paused = cmd == "pause"
	case "delete":
		delete(f.scheds, id)
	default:
		return vigil.Errorf(vigil.EINVALID, "unknown command %q", cmd)
	}
	return nil
}

func TestScheduleRolesAndAudit(t *testing.T) {
	f := newFixture(t, true)
	sched := &fakeScheduler{scheds: map[string]*vigil.ScheduleStatus{}}
	f.srv.cfg.Crawls = sched
	body := `{"every":"6h","crawl":{"seeds":["http://forum.example/"],"case_id":"case-7"},"note":"<b>weekly</b>"}`
	steps := []struct {
		method, path, who, body string
		want                    int
	}{
		{"POST", "/api/schedules", "", body, 401},
		{"POST", "/api/schedules", "expired", body, 401},
		{"POST", "/api/schedules", "viewer", body, 403},
		{"POST", "/api/schedules", "investigator", body, 201},
		{"GET", "/api/schedules", "viewer", "", 200},
		{"POST", "/api/schedules/sched-1/pause", "viewer", "", 403},
		{"DELETE", "/api/schedules/sched-1", "viewer", "", 403},
		{"POST", "/api/schedules/sched-1/pause", "investigator", "", 200},
		{"POST", "/api/schedules/sched-1/resume", "analyst", "", 200},
		{"POST", "/api/schedules/sched-1/explode", "investigator", "", 400},
		{"POST", "/api/schedules/sched-9/pause", "investigator", "", 404},
		{"POST", "/api/schedules", "investigator", `{"every":"soon","crawl":{"seeds":["http://x.example/"]}}`, 400},
		{"POST", "/api/schedules", "investigator", `{"every":"6h","surprise":1}`, 400},
		{"POST", "/api/schedules", "investigator", `{"every":`, 400},
		{"DELETE", "/api/schedules/sched-1", "admin", "", 200},
		{"DELETE", "/api/schedules/sched-1", "admin", "", 404},
	}
	for _, st := range steps {
		w := f.do(t, st.method, st.path, f.tokens[st.who], strings.NewReader(st.body), "Content-Type", "application/json")
		if w.Code != st.want {
			t.Fatalf("%s %s as %q = %d, want %d: %s", st.method, st.path, st.who, w.Code, st.want, w.Body)
		}
		var e ErrorResponse
		if st.want >= 400 && (json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" || e.Code == "") {
			t.Fatalf("%s %s: error body %q is not {error, code}", st.method, st.path, w.Body)
		}
	}
	es, _, err := f.log.Search(audit.Filter{Action: "schedule."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.User+" "+e.Action+" "+e.Result)
	}
	// Newest first. Refused requests (401, 403) and unreadable bodies change
	// nothing and are not entries; every attempt the scheduler saw is one.
	want := []string{
		"admin-user schedule.delete error: no schedule sched-1",
		"admin-user schedule.delete ok",
		"investigator-user schedule.create error: interval \"soon\" is not a duration of at least 1s",
		"investigator-user schedule.pause error: no schedule sched-9",
		"investigator-user schedule.explode error: unknown command \"explode\"",
		"analyst-user schedule.resume ok",
		"investigator-user schedule.pause ok",
		"investigator-user schedule.create created sched-1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if es[len(es)-1].CaseID != "case-7" {
		t.Errorf("schedule.create is audited without its case: %+v", es[len(es)-1])
	}
}

func TestCrawlsPageShowsSchedules(t *testing.T) {
	f := newFixture(t, true)
	sched := &fakeScheduler{scheds: map[string]*vigil.ScheduleStatus{
		"sched-1": {ID: "sched-1", Every: "6h0m0s", Paused: true, Note: hostile, Crawl: vigil.CrawlRequest{Seeds: []string{`http://x.onion/"><script>alert(1)</script>`}, CaseID: "case-7"}},
	}}
	f.srv.cfg.Crawls = sched
	page := func(who string) string {
		w := f.do(t, "GET", "/crawls", f.tokens[who], nil)
		if w.Code != 200 {
			t.Fatalf("GET /crawls as %s = %d: %s", who, w.Code, w.Body)
		}
		return w.Body.String()
	}
	viewer, investigator := page("viewer"), page("investigator")
	for _, body := range []string{viewer, investigator} {
		if !strings.Contains(body, `<tr data-id="sched-1" data-state="paused">`) || !strings.Contains(body, "case-7") {
			t.Fatalf("the crawls page does not list the paused schedule:\n%s", body)
		}
		for _, bad := range []string{"<script>window", "<script>alert", "<img"} {
			if strings.Contains(body, bad) {
				t.Fatalf("the crawls page contains %q unescaped", bad)
			}
		}
	}
	if strings.Contains(viewer, `id="create-schedule"`) || strings.Contains(viewer, `data-control="1"`) {
		t.Errorf("a viewer is offered schedule changes")
	}
	if !strings.Contains(investigator, `id="create-schedule"`) || !strings.Contains(investigator, `id="schedules" data-control="1"`) {
		t.Errorf("an investigator is not offered schedule changes")
	}
	f.srv.cfg.Crawls = fakeCrawls{} // no scheduler: the crawls are still shown
	body := page("viewer")
	if !strings.Contains(body, `id="schedules-error"`) || !strings.Contains(body, `data-id="crawl-1"`) {
		t.Fatalf("without a scheduler the crawls page should list crawls and say schedules are unavailable:\n%s", body)
	}
	if w := f.do(t, "GET", "/api/schedules", f.tokens["viewer"], nil); w.Code != 503 {
		t.Fatalf("GET /api/schedules without a scheduler = %d, want 503", w.Code)
	}
}

// TestOpenAPIDocumentsEveryRoute checks openapi.json against the routes the
// server registers: every API route is documented, nothing documented is
// missing, and each documented role is the one the server enforces.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var spec struct {
		Paths map[string]map[string]struct {
			Role string `json:"x-vigil-role"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapiSpec, &spec); err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for p, ops := range spec.Paths {
		for m, o := range ops {
			documented[strings.ToUpper(m)+" "+p] = o.Role
		}
	}
	srv := New(Config{Store: fakeStore{}, Crawls: fakeCrawls{}})
	registered := map[string]bool{}
	for pattern := range documented {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{id}", "x", "{command}", "pause", "{name}", "x", "{kind}", "login").Replace(path)
		if _, got := srv.mux.Handler(httptest.NewRequest(method, path, nil)); got != pattern {
			t.Errorf("openapi.json documents %s, which the server routes to %q", pattern, got)
		}
	}
	for _, pattern := range routePatterns() {
		registered[pattern] = true
		if !strings.Contains(pattern, " /api/") {
			continue
		}
		role, ok := documented[pattern]
		if !ok {
			t.Errorf("route %s is not in openapi.json", pattern)
			continue
		}
		if pattern == "GET /api/health" {
			continue
		}
		if want := RequiredRole(pattern).String(); role != want {
			t.Errorf("openapi.json says %s needs the %s role; the server asks for %s", pattern, role, want)
		}
	}
	if len(registered) < 20 {
		t.Fatalf("found only %d routes: %v", len(registered), registered)
	}
}

// routePatterns is every pattern the package registers on its mux, read
// from its source (ServeMux does not list its patterns).
func routePatterns() []string {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`s\.mux\.Handle(?:Func)?\("([^"]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// TestPagesAnswerMalformedQueries400 runs the page over the real embedded
// store: a query the store rejects is a 400 page that says why, never a 500.
func TestPagesAnswerMalformedQueries400(t *testing.T) {
	dir := t.TempDir()
	st, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log, err := audit.Open(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	srv := New(Config{Store: st, Crawls: fakeCrawls{}, Audit: log})
	for path, why := range map[string]string{
		"/?q=" + url.QueryEscape(`"unclosed phrase`):       "quote",
		"/?q=" + url.QueryEscape(strings.Repeat("w ", 40)): "more than 32",
		"/?q=x&from=2026-02-01&to=2026-01-01":              "from",
		"/?q=x&from=yesterday":                             "from",
		"/?q=%ff%fe":                                       "UTF-8",
		"/?kind=banana":                                    "kind",
		"/contact?kind=banana&value=x":                     "kind",
		"/audit?limit=x":                                   "limit",
		"/api/search?q=" + url.QueryEscape(`"unclosed`):    "quote",
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, localRequest("GET", path, nil))
		if w.Code != 400 || !strings.Contains(w.Body.String(), why) {
			t.Errorf("GET %s = %d, want 400 saying %q: %s", path, w.Code, why, w.Body)
		}
	}
}

// TestPageSignIn covers the page's sign-in: an expired or unknown token is a
// 401 form with the generic refusal; a good one becomes an HttpOnly, SameSite=Strict
// cookie that carries the token's role (a viewer is refused the audit page).
func TestPageSignIn(t *testing.T) {
	f := newFixture(t, true)
	post := func(token string) *httptest.ResponseRecorder {
		return f.do(t, "POST", "/login", "", strings.NewReader(url.Values{"token": {token}}.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	}
	for token, why := range map[string]string{f.tokens["expired"]: ErrBadToken.Message, "vigil_nope": ErrBadToken.Message, "": "empty token"} {
		w := post(token)
		if w.Code != 401 || !strings.Contains(w.Body.String(), why) || len(w.Result().Cookies()) != 0 {
			t.Errorf("sign-in with %q = %d, cookies %v, want 401 saying %q: %s", token, w.Code, w.Result().Cookies(), why, w.Body)
		}
		if token != "" && strings.Contains(w.Body.String(), token) {
			t.Errorf("the refused token is echoed in the page")
		}
	}
	w := post(f.tokens["viewer"])
	cs := w.Result().Cookies()
	if w.Code != 303 || len(cs) != 1 || cs[0].Name != sessionCookie || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("sign-in with a viewer token = %d, cookies %+v", w.Code, cs)
	}
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cs[0])
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "viewer-user") {
		t.Fatalf("GET / with the session cookie = %d", rec.Code)
	}
	if rec := get("/audit"); rec.Code != 403 {
		t.Fatalf("GET /audit as a viewer = %d, want 403", rec.Code)
	}
}

// TestAPITokensExpireByDefaultAndRefusalsAreGeneric: a token created
// through the API without "expires" expires after DefaultTokenTTL, like
// the CLI's; "0" asks for none. An expired, unknown or revoked token gets
// one generic 401 that names no token.
func TestAPITokensExpireByDefaultAndRefusalsAreGeneric(t *testing.T) {
	f := newFixture(t, true)
	create := func(body string) TokenResponse {
		t.Helper()
		w := f.do(t, "POST", "/api/tokens", f.tokens["admin"], strings.NewReader(body), "Content-Type", "application/json")
		var res TokenResponse
		if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &res) != nil {
			t.Fatalf("POST /api/tokens %s = %d: %s", body, w.Code, w.Body)
		}
		return res
	}
	res := create(`{"name":"dflt","role":"viewer"}`)
	if ttl := res.Info.ExpiresAt.Sub(res.Info.CreatedAt); ttl != DefaultTokenTTL || DefaultTokenTTL != 30*24*time.Hour {
		t.Errorf("a token created without expires is valid for %v; want %v", ttl, 30*24*time.Hour)
	}
	if res := create(`{"name":"forever","role":"viewer","expires":"0"}`); !res.Info.ExpiresAt.IsZero() {
		t.Errorf(`expires "0" gave an expiry %v; want none`, res.Info.ExpiresAt)
	}
	revoked := create(`{"name":"gone","role":"viewer"}`).Token
	if w := f.do(t, "DELETE", "/api/tokens/gone", f.tokens["admin"], nil); w.Code != 200 {
		t.Fatalf("revoke = %d", w.Code)
	}
	var msgs []string
	for _, tok := range []string{f.tokens["expired"], "vigil_unknown", revoked} {
		w := f.do(t, "GET", "/api/search?q=x", tok, nil)
		var e ErrorResponse
		if w.Code != 401 || json.Unmarshal(w.Body.Bytes(), &e) != nil {
			t.Fatalf("GET with a bad token = %d: %s", w.Code, w.Body)
		}
		msgs = append(msgs, e.Error)
		if strings.Contains(e.Error, "old") || strings.Contains(e.Error, "gone") || strings.Contains(e.Error, "expired at") {
			t.Errorf("the 401 names the token or its expiry: %q", e.Error)
		}
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Errorf("expired, unknown and revoked tokens get different 401s: %q", msgs)
	}
}
