package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/temporal"

	"vigil"
	"vigil/crawler"
	"vigil/crawler/loginfixture"
	"vigil/workflows"
)

// TestCrawlBatchesLogInWithARecipe crawls a forum whose sessions last five
// pages, in batches of eight, with a stored login recipe: the recipe's name
// (not its credentials) is recorded, every members-only page is captured and
// indexed as a member sees it, the session is logged in again after each
// expiry, and the password is in neither the logs nor the index. A recipe
// whose site is not crawled, or whose password is wrong, fails without
// retries.
func TestCrawlBatchesLogInWithARecipe(t *testing.T) {
	const password = "act-pw-7Yq2-secret"
	forum := loginfixture.New("bob", password, 30, 5)
	srv := httptest.NewServer(forum)
	defer srv.Close()
	secrets := &crawler.Secrets{Dir: t.TempDir(), Getenv: func(k string) string {
		return map[string]string{"VIGIL_LOGIN_FORUM_USER": "bob"}[k]
	}}
	ctx := context.Background()
	if _, err := secrets.PutSecret(ctx, vigil.SecretCredential, "pw", []byte(password)); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.PutSecret(ctx, vigil.SecretLogin, "forum", []byte(fmt.Sprintf(`url: %s/login
fields: {remember: "yes"}
credentials:
  user: {env: VIGIL_LOGIN_FORUM_USER}
  pass: {file: pw}
success: {text: Logged in as}
`, srv.URL))); err != nil {
		t.Fatal(err)
	}

	a := newActivities(t)
	a.Secrets = secrets
	logs := &syncBuffer{}
	a.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	nonRetryable := func(err error) bool {
		var appErr *temporal.ApplicationError
		return errors.As(err, &appErr) && appErr.NonRetryable()
	}
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "other", Seeds: []string{"http://127.0.0.1:1/"}, Login: "forum"}); !nonRetryable(err) || !strings.Contains(err.Error(), "not among the crawl's sites") {
		t.Errorf("a recipe for a site the crawl does not visit: %v", err)
	}

	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "f", Seeds: []string{srv.URL + "/"}, MaxDepth: -1, Login: "forum"}); err != nil {
		t.Fatal(err)
	}
	if meta, err := a.State.Meta("f"); err != nil || meta.Login != "forum" {
		t.Fatalf("metadata login recipe = %q, %v", meta.Login, err)
	}
	indexed := 0
	for batch := 1; batch < 100; batch++ {
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "f", Batch: batch, MaxPages: 8})
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.IndexBatch(ctx, workflows.IndexBatchInput{CrawlID: "f", Batch: batch, DocumentIDs: res.DocumentIDs})
		if err != nil {
			t.Fatal(err)
		}
		indexed += r.Documents
		if res.Queued == 0 {
			break
		}
	}
	paths := forum.MemberPaths()
	if indexed != len(paths) {
		t.Errorf("indexed %d documents, the forum has %d members-only pages", indexed, len(paths))
	}
	for _, p := range paths {
		res, err := a.Store.Search(ctx, vigil.Query{Text: `"` + loginfixture.Marker(p) + `"`, CrawlID: "f"})
		if err != nil || res.Total != 1 || res.Hits[0].Document.URL != srv.URL+p {
			t.Errorf("members-only text of %s: %d hits, %v", p, res.Total, err)
		}
	}
	if forum.Logins() < 2 || forum.Expired() == 0 || forum.Logouts() != 0 || forum.Failed() != 0 {
		t.Errorf("forum: %d logins, %d expiries, %d logouts, %d refused; want logins after expiries and nothing else",
			forum.Logins(), forum.Expired(), forum.Logouts(), forum.Failed())
	}
	if res, err := a.Store.Search(ctx, vigil.Query{Text: password}); err != nil || res.Total != 0 {
		t.Errorf("searching the index for the password: %d hits, %v", res.Total, err)
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("the password is in the logs")
	}
	if !strings.Contains(logs.String(), "logged in with the crawl's login recipe") {
		t.Errorf("logins are not logged:\n%s", logs.String())
	}

	// A wrong password fails the batch for good, saying why.
	if _, err := secrets.PutSecret(ctx, vigil.SecretCredential, "pw", []byte("not-"+password)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: "g", Seeds: []string{srv.URL + "/"}, Login: "forum"}); err != nil {
		t.Fatal(err)
	}
	_, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "g", Batch: 1, MaxPages: 8})
	if !nonRetryable(err) || !strings.Contains(err.Error(), "success check") || strings.Contains(err.Error(), password) {
		t.Errorf("batch with a wrong password: %v; want a non-retryable refused login", err)
	}
}

// TestRecrawlSendsConditionalRequests crawls a site whose pages carry
// ETags, changes one page and crawls it again as a new crawl: the re-crawl
// sends If-None-Match, counts the three 304 answers unchanged and the
// changed page changed, and still captures the unchanged pages' text.
func TestRecrawlSendsConditionalRequests(t *testing.T) {
	var version, conditional, notModified atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := fmt.Sprintf("<title>page %s</title><p>text of %s</p>", r.URL.Path, r.URL.Path)
		etag := `"` + r.URL.Path + `"`
		switch r.URL.Path {
		case "/":
			body += `<a href="/1">1</a><a href="/2">2</a><a href="/3">3</a>`
		case "/2":
			body += fmt.Sprintf("<p>price list, version %d</p>", version.Load())
			etag = fmt.Sprintf(`"v%d"`, version.Load())
		}
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" {
			conditional.Add(1)
			if inm == etag {
				notModified.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	a := newActivities(t)
	crawl := func(id string) workflows.CrawlBatchResult {
		t.Helper()
		ctx := context.Background()
		if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: id, Seeds: []string{srv.URL + "/"}}); err != nil {
			t.Fatal(err)
		}
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: id, Batch: 1, MaxPages: 100})
		if err != nil || res.Pages != 4 || res.Queued != 0 {
			t.Fatalf("crawl %s = %+v, %v; want 4 pages in one batch", id, res, err)
		}
		return res
	}
	if first := crawl("first"); first.Changed != 0 || first.Unchanged != 0 || conditional.Load() != 0 {
		t.Fatalf("first crawl: %d changed, %d unchanged, %d conditional requests; want none", first.Changed, first.Unchanged, conditional.Load())
	}
	version.Add(1)
	again := crawl("again")
	if again.Changed != 1 || again.Unchanged != 3 || conditional.Load() != 4 || notModified.Load() != 3 {
		t.Fatalf("re-crawl: %d changed, %d unchanged, %d conditional requests, %d answered 304; want 1, 3, 4, 3",
			again.Changed, again.Unchanged, conditional.Load(), notModified.Load())
	}
	pend, err := a.State.Pending("again", again.DocumentIDs)
	if err != nil || len(pend) != 4 {
		t.Fatalf("pending of the re-crawl: %d, %v", len(pend), err)
	}
	for _, p := range pend {
		path := strings.TrimPrefix(p.Document.URL, srv.URL)
		if !strings.Contains(p.Document.Text, "text of "+path) {
			t.Errorf("re-crawled %s (status %d) has text %q; want the page's text", path, p.Document.Status, p.Document.Text)
		}
	}
}
