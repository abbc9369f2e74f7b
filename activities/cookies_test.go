package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"vigil"
	"vigil/crawler"
	"vigil/store/crawlstate"
	"vigil/workflows"
)

// TestCrawlSendsTheImportedSession crawls a members-only page with a
// stored cookies.txt: a file others can read is refused at start (not
// retried), a 0600 one is recorded by name in the crawl's metadata, and its
// session cookie reaches the site; the cookie's value is in neither. A
// crawl naming a cookie file or recipe by path (one started before secrets
// were named) is refused at start and at every batch.
func TestCrawlSendsTheImportedSession(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if c, err := r.Cookie("sess"); err == nil && c.Value == "v4lue" {
			fmt.Fprint(w, "<title>members</title>")
			return
		}
		fmt.Fprint(w, "<title>login</title>")
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	a := newActivities(t)
	a.Secrets = &crawler.Secrets{Dir: t.TempDir()}
	ctx := context.Background()
	if _, err := a.Secrets.PutSecret(ctx, vigil.SecretCookies, "forum", []byte(u.Hostname()+"\tFALSE\t/\tFALSE\t0\tsess\tv4lue\n")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(a.Secrets.Dir, "cookies", "forum")
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	in := workflows.StartCrawlInput{CrawlID: "s", Seeds: []string{srv.URL + "/"}, Cookies: "forum"}
	_, err := a.StartCrawl(ctx, in)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || strings.Contains(err.Error(), "v4lue") {
		t.Fatalf("start with a group-readable cookie file: %v; want a non-retryable error without the value", err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartCrawl(ctx, in); err != nil {
		t.Fatal(err)
	}
	meta, err := a.State.Meta("s")
	if err != nil || meta.Cookies != "forum" {
		t.Fatalf("metadata cookie file = %q, %v", meta.Cookies, err)
	}
	res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "s", Batch: 1, MaxPages: 10})
	if err != nil || len(res.DocumentIDs) != 1 {
		t.Fatalf("batch = %+v, %v", res, err)
	}
	doc, err := a.State.Pending("s", res.DocumentIDs)
	if err != nil || len(doc) != 1 || doc[0].Document.Title != "members" {
		t.Fatalf("captured %+v, %v; want the members' page", doc, err)
	}

	for _, legacy := range []workflows.StartCrawlInput{
		{CrawlID: "p", Seeds: []string{srv.URL + "/"}, CookieFile: file},
		{CrawlID: "p", Seeds: []string{srv.URL + "/"}, LoginFile: file},
	} {
		if _, err := a.StartCrawl(ctx, legacy); !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "no longer accepted") {
			t.Errorf("start naming a file by path: %v; want a non-retryable refusal", err)
		}
	}
	if _, err := a.State.Start(crawlstate.Meta{CrawlID: "old", Seeds: []string{srv.URL + "/"}, Hosts: []string{u.Host}, CookieFile: file}, []crawlstate.Request{{URL: srv.URL + "/"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: "old", Batch: 1, MaxPages: 10}); !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "no longer accepted") {
		t.Errorf("a batch of a crawl started with a cookie file path: %v; want a non-retryable refusal", err)
	}
}
