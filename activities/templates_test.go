package activities

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/extractors/templates"
	"vigil/internal/demo"
	"vigil/workflows"
)

// crawlAll crawls the site at seed to the end, indexing each batch, and
// returns the sum of the index results and the records the batches left
// pending before indexing.
func crawlAll(t *testing.T, a *Activities, crawlID, seed string) (workflows.IndexBatchResult, int) {
	t.Helper()
	ctx := context.Background()
	if _, err := a.StartCrawl(ctx, workflows.StartCrawlInput{CrawlID: crawlID, Seeds: []string{seed}}); err != nil {
		t.Fatal(err)
	}
	var sum workflows.IndexBatchResult
	records := 0
	for batch := 1; ; batch++ {
		res, err := a.CrawlBatch(ctx, workflows.CrawlBatchInput{CrawlID: crawlID, Batch: batch, MaxPages: 25})
		if err != nil {
			t.Fatal(err)
		}
		pending, err := a.State.Pending(crawlID, res.DocumentIDs)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pending {
			for _, r := range p.Records {
				if r.DocumentID != p.Document.ID || r.URL != p.Document.URL || r.ID == "" {
					t.Fatalf("record without provenance: %+v", r)
				}
			}
			records += len(p.Records)
		}
		ir, err := a.IndexBatch(ctx, workflows.IndexBatchInput{CrawlID: crawlID, Batch: batch, DocumentIDs: res.DocumentIDs})
		if err != nil {
			t.Fatal(err)
		}
		sum.Documents += ir.Documents
		sum.Drift += ir.Drift
		if res.Queued == 0 {
			return sum, records
		}
		if batch > 100 {
			t.Fatal("crawl does not end")
		}
	}
}

// redesigned serves site with the forum's post markup renamed, as after a
// redesign that the template does not know yet.
func redesigned(site http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if strings.HasPrefix(r.URL.Path, "/forum/t/") {
			body = bytes.ReplaceAll(body, []byte(`class="post"`), []byte(`class="message"`))
		}
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func TestTemplateDriftIsLoggedAndCountedPerPage(t *testing.T) {
	set, err := templates.Load("../testdata/templates")
	if err != nil {
		t.Fatal(err)
	}
	cfg := demo.Config{Threads: 6, Listings: 6, ImageEvery: -1}
	site := demo.New(cfg)
	threadPages := 0
	for _, p := range site.Pages() {
		if strings.HasPrefix(p, "/forum/t/") {
			threadPages++
		}
	}

	t.Run("the demo as its templates describe it has no drift", func(t *testing.T) {
		srv := httptest.NewServer(site)
		defer srv.Close()
		a := newActivities(t)
		a.Templates = set
		sum, records := crawlAll(t, a, "ok", srv.URL+"/")
		if sum.Documents != len(site.Pages()) || sum.Drift != 0 {
			t.Fatalf("indexed %+v, want %d documents and no drift", sum, len(site.Pages()))
		}
		if records < cfg.Threads*15 {
			t.Fatalf("%d records, want at least the %d posts", records, cfg.Threads*15)
		}
	})

	t.Run("a redesigned forum drifts on every thread page", func(t *testing.T) {
		srv := httptest.NewServer(redesigned(site))
		defer srv.Close()
		var logs bytes.Buffer
		a := newActivities(t)
		a.Templates = set
		a.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		sum, _ := crawlAll(t, a, "redesign", srv.URL+"/")
		if sum.Drift != threadPages {
			t.Fatalf("drift on %d pages, want the %d thread pages", sum.Drift, threadPages)
		}
		host := strings.TrimPrefix(srv.URL, "http://")
		want := `level=WARN msg="template drift" crawl=redesign site=` + host + ` template=demo-forum template_version=1 expect=thread missing="[post post.author post.time post.body]"`
		if n := strings.Count(logs.String(), want); n != threadPages {
			t.Fatalf("%d drift warnings like %q, want %d; logs:\n%s", n, want, threadPages, logs.String())
		}
	})

	t.Run("without templates nothing is applied", func(t *testing.T) {
		srv := httptest.NewServer(redesigned(site))
		defer srv.Close()
		a := newActivities(t)
		sum, records := crawlAll(t, a, "none", srv.URL+"/")
		if sum.Drift != 0 || records != 0 {
			t.Fatalf("drift %d, %d records without templates", sum.Drift, records)
		}
	})
}
