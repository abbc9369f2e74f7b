package elastic_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"vigil"
	"vigil/store/elastic"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := vigil.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// decode parses a recorded JSON body.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return m
}

// dig follows keys through nested JSON objects.
func dig(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func TestOpen(t *testing.T) {
	t.Run("an empty cluster gets three templates and three versioned indices behind aliases", func(t *testing.T) {
		f := newFake(t)
		open(t, f)
		reqs := f.requests()
		golden(t, "open", reqs)
		var created []string
		for _, r := range reqs {
			if r.Method == http.MethodPut && !strings.HasPrefix(r.Path, "/_index_template/") {
				created = append(created, r.Path)
				alias := strings.TrimSuffix(strings.TrimPrefix(r.Path, "/"), "-v1")
				if dig(decode(t, r.Body), "aliases", alias, "is_write_index") != true {
					t.Errorf("%s: index is not the write index of alias %s: %s", r.Path, alias, r.Body)
				}
			}
		}
		if !slices.Equal(created, []string{"/vigil-pages-v1", "/vigil-findings-v1", "/vigil-images-v1"}) {
			t.Errorf("created %v", created)
		}
		images := decode(t, reqs[2].Body)
		if reqs[2].Path != "/_index_template/vigil-images" {
			t.Fatalf("third request %s, want the images template", reqs[2])
		}
		pdq := dig(images, "template", "mappings", "properties", "pdq").(map[string]any)
		if pdq["type"] != "dense_vector" || pdq["element_type"] != "bit" || pdq["dims"] != 256.0 || pdq["index"] != true {
			t.Errorf("pdq mapping %v, want an indexed 256-bit dense_vector", pdq)
		}
		for i := range 16 {
			if typ := dig(images, "template", "mappings", "properties", "pdq_c"+strconv.Itoa(i), "type"); typ != "keyword" {
				t.Errorf("pdq_c%d is %v, want keyword", i, typ)
			}
		}
		if p := dig(images, "index_patterns").([]any); len(p) != 1 || p[0] != "vigil-images-*" {
			t.Errorf("index patterns %v", p)
		}
		pages := decode(t, reqs[0].Body)
		for _, field := range []string{"@timestamp", "captured_at"} {
			if typ := dig(pages, "template", "mappings", "properties", field, "type"); typ != "date" {
				t.Errorf("pages %s is %v, want date (Kibana needs a time field)", field, typ)
			}
		}
		if a := dig(pages, "template", "mappings", "properties", "text", "analyzer"); a != "vigil_text" {
			t.Errorf("pages text analyzer %v", a)
		}
	})

	t.Run("existing aliases are left alone", func(t *testing.T) {
		f := newFake(t)
		f.on(http.MethodHead, "/_alias/.*", reply{status: 200})
		open(t, f)
		for _, r := range f.requests() {
			if r.Method == http.MethodPut && !strings.HasPrefix(r.Path, "/_index_template/") {
				t.Errorf("Open created %s although its alias exists", r.Path)
			}
		}
	})

	t.Run("an index created by a racing Open is not an error", func(t *testing.T) {
		f := newFake(t)
		f.on(http.MethodPut, "/vigil-pages-v1", file(t, 400, "resource_already_exists.json"))
		open(t, f)
	})

	t.Run("a failed index creation is an error naming its cause", func(t *testing.T) {
		f := newFake(t)
		f.on(http.MethodPut, "/vigil-findings-v1", file(t, 503, "unavailable.json"))
		_, err := elastic.Open(t.Context(), elastic.Config{URLs: []string{"http://127.0.0.1:9200"}, Transport: f, MaxRetries: -1})
		wantCode(t, err, vigil.EUNAVAILABLE)
		if !strings.Contains(err.Error(), "cluster_block_exception") {
			t.Errorf("error %q lacks the elasticsearch error type", err)
		}
	})

	t.Run("prefix, shards and replicas shape templates, indices and aliases", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f, func(c *elastic.Config) { c.IndexPrefix, c.Shards, c.Replicas = "unit7", 6, 1 })
		reqs := f.requests()
		if reqs[0].Path != "/_index_template/unit7-pages" {
			t.Errorf("first request %s", reqs[0])
		}
		idx := dig(decode(t, reqs[0].Body), "template", "settings", "index").(map[string]any)
		if idx["number_of_shards"] != 6.0 || idx["number_of_replicas"] != 1.0 {
			t.Errorf("settings %v, want 6 shards and 1 replica", idx)
		}
		if got := s.Alias("images"); got != "unit7-images" {
			t.Errorf("alias %q", got)
		}
		if reqs[len(reqs)-1].Path != "/unit7-images-v1" {
			t.Errorf("last request %s", reqs[len(reqs)-1])
		}
	})

	t.Run("bad configurations are invalid and send nothing", func(t *testing.T) {
		f := newFake(t)
		for _, cfg := range []elastic.Config{
			{},
			{URLs: []string{"http://127.0.0.1:9200"}, IndexPrefix: "Vigil"},
			{URLs: []string{"http://127.0.0.1:9200"}, IndexPrefix: "a/b"},
			{URLs: []string{"http://127.0.0.1:9200"}, Refresh: "sometimes"},
			{URLs: []string{"http://127.0.0.1:9200"}, Shards: -1},
		} {
			cfg.Transport = f
			_, err := elastic.Open(t.Context(), cfg)
			wantCode(t, err, vigil.EINVALID)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests sent for invalid configurations", n)
		}
	})

	t.Run("a cluster that is down is unavailable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now: connections are refused
		_, err = elastic.Open(t.Context(), elastic.Config{URLs: []string{"http://" + addr}, MaxRetries: -1})
		wantCode(t, err, vigil.EUNAVAILABLE)
	})
}

func sampleDoc() vigil.Document {
	return vigil.Document{
		ID: "9d1c2f0a7b3e4d5c6b7a8f9e0d1c2b3a", CrawlID: "crawl-1", CaseID: "case-7", Site: "alpha.onion",
		URL: "http://alpha.onion/thread/1", Status: 200, ContentType: "text/html", Title: "A title",
		Text: "Some visible text.\nSecond line.", Depth: 3, Size: 31, SHA256: strings.Repeat("ab", 32),
		CapturedAt: t0,
	}
}

func TestWrites(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	f.reset()
	d := sampleDoc()
	d2 := d
	d2.ID, d2.URL, d2.CapturedAt, d2.CaseID = "0a0b0c0d0e0f00010203040506070809", "http://alpha.onion/thread/2", time.Time{}, ""

	t.Run("documents are scripted upserts keeping kinds, refreshed with wait_for", func(t *testing.T) {
		f.reset()
		must(t, s.PutDocuments(t.Context(), []vigil.Document{d, d2}))
		reqs := f.requests()
		golden(t, "put_documents", reqs)
		if len(reqs) != 1 || reqs[0].Path != "/_bulk" || reqs[0].Query != "refresh=wait_for" {
			t.Fatalf("requests %v, want one bulk with refresh=wait_for", reqs)
		}
	})

	t.Run("findings are indexed and their kinds added to their pages in one bulk", func(t *testing.T) {
		f.reset()
		p := vigil.Page{DocumentID: d.ID, CrawlID: d.CrawlID, Site: d.Site, URL: d.URL, CapturedAt: d.CapturedAt}
		fs := []vigil.Finding{
			{Kind: vigil.KindPhone, Value: "+14155550123", Offset: 5, Snippet: "call +1 415 555 0123"},
			{Kind: vigil.KindEmail, Value: "a@example.com", Offset: 40, Snippet: "mail a@example.com"},
			{Kind: vigil.KindPhone, Value: "+14155550199", Offset: 60, Snippet: "or +1 415 555 0199"},
		}
		p.Stamp(fs)
		must(t, s.PutFindings(t.Context(), fs))
		reqs := f.requests()
		golden(t, "put_findings", reqs)
		lines := strings.Split(strings.TrimSpace(string(reqs[0].Body)), "\n")
		if len(lines) != 8 {
			t.Fatalf("bulk has %d lines, want 3 findings and 1 page update (8 lines)", len(lines))
		}
		if !strings.Contains(lines[7], `"kinds":["email","phone"]`) {
			t.Errorf("page update %s does not add the sorted, distinct kinds", lines[7])
		}
	})

	t.Run("images carry bit vectors and pigeonhole chunks", func(t *testing.T) {
		f.reset()
		img := vigil.Image{
			ID: "img-1", URL: "http://alpha.onion/img/1.jpg", PageURL: d.URL, DocumentID: d.ID, CrawlID: d.CrawlID,
			Site: d.Site, Width: 640, Height: 480, Size: 1000, SHA256: strings.Repeat("A1", 32), MD5: strings.Repeat("b2", 16),
			PDQ: "0123456789abcdef" + strings.Repeat("0", 48), PDQQuality: 87, PHash: "fedcba9876543210", CapturedAt: t0,
		}
		noHash := img
		noHash.ID, noHash.PDQ, noHash.PHash = "img-2", "", ""
		must(t, s.PutImages(t.Context(), []vigil.Image{img, noHash}))
		reqs := f.requests()
		golden(t, "put_images", reqs)
		lines := strings.Split(strings.TrimSpace(string(reqs[0].Body)), "\n")
		src := decode(t, []byte(lines[1]))
		for field, want := range map[string]any{"pdq_c0": "0123", "pdq_c3": "cdef", "pdq_c15": "0000", "phash_c0": "fedc", "phash_c3": "3210", "sha256": strings.Repeat("a1", 32)} {
			if src[field] != want {
				t.Errorf("%s = %v, want %v", field, src[field], want)
			}
		}
		if src2 := decode(t, []byte(lines[3])); src2["pdq"] != nil || src2["phash"] != nil || src2["pdq_c0"] != nil {
			t.Errorf("an image without perceptual hashes sends %v", src2)
		}
	})

	t.Run("invalid records are rejected before anything is sent", func(t *testing.T) {
		f.reset()
		wantCode(t, s.PutDocuments(t.Context(), []vigil.Document{{Title: "no id"}}), vigil.EINVALID)
		wantCode(t, s.PutFindings(t.Context(), []vigil.Finding{{ID: "x", Kind: "a,b", Value: "v"}}), vigil.EINVALID)
		wantCode(t, s.PutFindings(t.Context(), []vigil.Finding{{ID: "x", Kind: vigil.KindEmail}}), vigil.EINVALID)
		wantCode(t, s.PutImages(t.Context(), []vigil.Image{{ID: "x", PDQ: "not hex"}}), vigil.EINVALID)
		wantCode(t, s.PutImages(t.Context(), []vigil.Image{{ID: "x", PHash: strings.Repeat("0", 64)}}), vigil.EINVALID)
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests sent for invalid records", n)
		}
	})

	t.Run("Refresh false sends no refresh parameter", func(t *testing.T) {
		f2 := newFake(t)
		s2 := open(t, f2, func(c *elastic.Config) { c.Refresh = "false" })
		f2.reset()
		must(t, s2.PutDocuments(t.Context(), []vigil.Document{d}))
		if q := f2.requests()[0].Query; q != "refresh=false" {
			t.Errorf("bulk query %q, want refresh=false", q)
		}
	})
}

func TestBulkFailures(t *testing.T) {
	fs := []vigil.Finding{
		{ID: "f1", Kind: vigil.KindEmail, Value: "a@example.com", Snippet: "a"},
		{ID: "f2", Kind: vigil.KindEmail, Value: "b@example.com", Snippet: "b"},
		{ID: "f3", Kind: vigil.KindEmail, Value: "c@example.com", Snippet: "c"},
	}

	t.Run("429 items are retried alone and 400 items reported as invalid", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f)
		f.reset()
		f.on(http.MethodPost, "/_bulk", file(t, 200, "bulk_partial.json"), file(t, 200, "bulk_one_created.json"))
		err := s.PutFindings(t.Context(), fs)
		wantCode(t, err, vigil.EINVALID)
		if !strings.Contains(err.Error(), "f2") || !strings.Contains(err.Error(), "document_parsing_exception") || strings.Contains(err.Error(), "f3") {
			t.Errorf("error %q should name f2 and its cause, and not the retried f3", err)
		}
		reqs := f.requests()
		golden(t, "bulk_retry", reqs)
		if len(reqs) != 2 {
			t.Fatalf("%d bulk requests, want the first and one retry", len(reqs))
		}
		if retried := string(reqs[1].Body); !strings.Contains(retried, `"_id":"f3"`) || strings.Contains(retried, `"_id":"f1"`) || strings.Contains(retried, `"_id":"f2"`) {
			t.Errorf("the retry carried %s, want only f3", retried)
		}
	})

	t.Run("items still rejected with 429 after the retries are unavailable", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f, func(c *elastic.Config) { c.MaxRetries = 2 })
		f.reset()
		f.on(http.MethodPost, "/_bulk", file(t, 200, "bulk_partial.json"), file(t, 200, "bulk_one_429.json"))
		err := s.PutFindings(t.Context(), fs)
		wantCode(t, err, vigil.EUNAVAILABLE)
		if n := len(f.requests()); n != 3 {
			t.Errorf("%d bulk requests, want 1 + 2 retries", n)
		}
	})

	t.Run("a page update that lost its conflict retries is retried", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f)
		f.reset()
		r := f.on(http.MethodPost, "/_bulk")
		first := true
		r.fn = func(req request) reply {
			if first {
				first = false
				return bulkReply(req, map[int]int{1: 409})
			}
			return bulkReply(req, nil)
		}
		must(t, s.PutDocuments(t.Context(), []vigil.Document{sampleDoc(), {ID: "other", URL: "http://alpha.onion/o"}}))
		reqs := f.requests()
		if len(reqs) != 2 || strings.Count(string(reqs[1].Body), "\n") != 2 || !strings.Contains(string(reqs[1].Body), `"_id":"other"`) {
			t.Errorf("requests %v, want the conflicting update alone retried", reqs)
		}
	})

	t.Run("a whole bulk request rejected with 429 is retried, then succeeds", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f)
		f.reset()
		r := f.on(http.MethodPost, "/_bulk", file(t, 429, "too_many_requests.json"))
		r.fn = func(req request) reply { return bulkReply(req, nil) }
		must(t, s.PutFindings(t.Context(), fs[:1]))
		if n := len(f.requests()); n != 2 {
			t.Errorf("%d bulk requests, want 2", n)
		}
	})

	t.Run("a bulk request that keeps failing with 503 is unavailable", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f)
		f.reset()
		f.on(http.MethodPost, "/_bulk", file(t, 503, "unavailable.json"))
		wantCode(t, s.PutFindings(t.Context(), fs), vigil.EUNAVAILABLE)
	})

	t.Run("a bulk request rejected with 400 is an internal error, not retried", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f)
		f.reset()
		f.on(http.MethodPost, "/_bulk", reply{status: 400, body: []byte(`{"error":{"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1]"},"status":400}`)})
		wantCode(t, s.PutFindings(t.Context(), fs), vigil.EINTERNAL)
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d bulk requests, want 1", n)
		}
	})

	t.Run("a cluster gone mid-write is unavailable", func(t *testing.T) {
		f := newFake(t)
		s := open(t, f, func(c *elastic.Config) { c.MaxRetries = -1 })
		f.on(http.MethodPost, "/_bulk", reply{err: errors.New("dial tcp 127.0.0.1:9200: connect: connection refused")})
		wantCode(t, s.PutFindings(t.Context(), fs), vigil.EUNAVAILABLE)
		wantCode(t, s.PutDocuments(t.Context(), []vigil.Document{sampleDoc()}), vigil.EUNAVAILABLE)
	})
}

func TestDocument(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	d := sampleDoc()

	t.Run("a found document reads back whole", func(t *testing.T) {
		f.reset()
		f.on(http.MethodGet, "/vigil-pages/_doc/"+d.ID, file(t, 200, "get_found.json"))
		got, err := s.Document(t.Context(), d.ID)
		must(t, err)
		if !got.CapturedAt.Equal(d.CapturedAt) {
			t.Fatalf("captured at %v", got.CapturedAt)
		}
		got.CapturedAt = d.CapturedAt
		if got != d {
			t.Fatalf("got %+v\nwant %+v", got, d)
		}
		golden(t, "document", f.requests())
	})

	t.Run("a missing document is not found", func(t *testing.T) {
		f.on(http.MethodGet, "/vigil-pages/_doc/0+", file(t, 404, "get_not_found.json"))
		_, err := s.Document(t.Context(), strings.Repeat("0", 32))
		wantCode(t, err, vigil.ENOTFOUND)
	})

	t.Run("a placeholder page holding only kinds is not found", func(t *testing.T) {
		f.on(http.MethodGet, "/vigil-pages/_doc/"+d.ID, file(t, 200, "get_placeholder.json"))
		_, err := s.Document(t.Context(), d.ID)
		wantCode(t, err, vigil.ENOTFOUND)
	})

	t.Run("a missing index is an internal error, not a missing document", func(t *testing.T) {
		f.on(http.MethodGet, "/vigil-pages/_doc/.*", file(t, 404, "index_not_found.json"))
		_, err := s.Document(t.Context(), d.ID)
		wantCode(t, err, vigil.EINTERNAL)
		if !strings.Contains(err.Error(), "index_not_found_exception") {
			t.Errorf("error %q lacks the cause", err)
		}
	})

	t.Run("IDs are escaped into the path", func(t *testing.T) {
		f.reset()
		f.on(http.MethodGet, "/vigil-pages/_doc/.*", file(t, 404, "get_not_found.json"))
		_, err := s.Document(t.Context(), "../_search")
		wantCode(t, err, vigil.ENOTFOUND)
		if p := f.requests()[0].Path; p != "/vigil-pages/_doc/..%2F_search" {
			t.Errorf("path %q", p)
		}
	})
}

func TestSearch(t *testing.T) {
	f := newFake(t)
	s := open(t, f)

	t.Run("text, phrases, exclusions and filters become one bool query with facets", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, "/vigil-pages/_search", file(t, 200, "search_response.json"))
		res, err := s.Search(t.Context(), vigil.Query{
			Text: `cheap "flights to" -hotel site:alpha.onion *`, Site: "alpha.onion", Kind: vigil.KindPhone,
			CrawlID: "c", CaseID: "case-1", From: t0, To: t0.Add(24 * time.Hour), Offset: 20, Limit: 10,
		})
		must(t, err)
		golden(t, "search", f.requests())
		if res.Total != 3 || len(res.Hits) != 2 || res.Hits[0].Document.ID != "d1" || res.Hits[1].Document.ID != "d3" {
			t.Fatalf("result %+v", res)
		}
		if res.Hits[0].Score != 2.4 || res.Hits[0].Document.Title != "Cheap flights" || !res.Hits[0].Document.CapturedAt.Equal(t0) {
			t.Errorf("first hit %+v", res.Hits[0])
		}
		if got := res.Facets["site"]; len(got) != 2 || got[0] != (vigil.FacetTerm{Term: "alpha.onion", Count: 2}) {
			t.Errorf("site facet %v", got)
		}
		if got := res.Facets["kind"]; len(got) != 2 || got[1] != (vigil.FacetTerm{Term: "telegram", Count: 1}) {
			t.Errorf("kind facet %v", got)
		}
		if sn := res.Hits[0].Snippet; sn != "Book cheap flights to Paris today." {
			t.Errorf("snippet %q", sn)
		}
		for _, h := range res.Hits {
			if h.Document.Text != "" {
				t.Errorf("hit %s carries text", h.Document.ID)
			}
			for _, r := range h.Snippet {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Errorf("snippet %q has control character %U", h.Snippet, r)
				}
			}
		}
		if sn := res.Hits[1].Snippet; sn != "All flights cancelled; cheap <b>refunds</b> evil." {
			t.Errorf("snippet %q: escapes, marks and bidi controls must go, text stays as written", sn)
		}
	})

	t.Run("empty text matches every page newest first, unscored", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, "/vigil-pages/_search", file(t, 200, "search_response.json"))
		res, err := s.Search(t.Context(), vigil.Query{})
		must(t, err)
		golden(t, "search_empty", f.requests())
		if res.Hits[0].Score != 0 {
			t.Errorf("score %v, want 0 without text", res.Hits[0].Score)
		}
	})

	t.Run("text without a term matches nothing", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, "/vigil-pages/_search", file(t, 200, "search_response.json"))
		_, err := s.Search(t.Context(), vigil.Query{Text: "* ?"})
		must(t, err)
		if q := string(f.requests()[0].Body); !strings.Contains(q, "match_none") || strings.Contains(q, `"*"`) {
			t.Errorf("query %s, want match_none and no wildcard", q)
		}
	})

	t.Run("malformed queries are invalid and send nothing", func(t *testing.T) {
		f.reset()
		for _, q := range []vigil.Query{
			{Text: `"unclosed`}, {Text: "\xff\xfe"}, {Text: strings.Repeat("a ", 5000)}, {Text: strings.Repeat("w ", 33)},
			{Offset: -1}, {Limit: -1}, {From: t0, To: t0}, {Offset: 9995, Limit: 10},
		} {
			_, err := s.Search(t.Context(), q)
			wantCode(t, err, vigil.EINVALID)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests sent for malformed queries", n)
		}
	})

	t.Run("a missing index is an internal error", func(t *testing.T) {
		f.on(http.MethodPost, "/vigil-pages/_search", file(t, 404, "index_not_found.json"))
		_, err := s.Search(t.Context(), vigil.Query{Text: "x"})
		wantCode(t, err, vigil.EINTERNAL)
		if !strings.Contains(err.Error(), "no such index [vigil-pages]") {
			t.Errorf("error %q lacks the reason", err)
		}
	})

	t.Run("a 429 is retried and the retry's answer used", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, "/vigil-pages/_search", file(t, 429, "too_many_requests.json"), file(t, 200, "search_response.json"))
		res, err := s.Search(t.Context(), vigil.Query{Text: "cheap"})
		must(t, err)
		if res.Total != 3 || len(f.requests()) != 2 {
			t.Errorf("total %d after %d requests, want 3 after 2", res.Total, len(f.requests()))
		}
	})

	t.Run("a 503 that persists is unavailable", func(t *testing.T) {
		f.on(http.MethodPost, "/vigil-pages/_search", file(t, 503, "unavailable.json"))
		_, err := s.Search(t.Context(), vigil.Query{Text: "x"})
		wantCode(t, err, vigil.EUNAVAILABLE)
	})

	t.Run("a cluster gone is unavailable", func(t *testing.T) {
		f.on(http.MethodPost, "/vigil-pages/_search", reply{err: errors.New("dial tcp 127.0.0.1:9200: connect: connection refused")})
		_, err := s.Search(t.Context(), vigil.Query{Text: "x"})
		wantCode(t, err, vigil.EUNAVAILABLE)
	})
}

func TestFindings(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	f.reset()
	f.on(http.MethodPost, "/vigil-findings/_search", file(t, 200, "findings_response.json"))
	res, err := s.Findings(t.Context(), vigil.FindingQuery{Value: "+14155550123", Site: "alpha.onion", CaseID: "case-1", Offset: 5, Limit: 2})
	must(t, err)
	_, err = s.Findings(t.Context(), vigil.FindingQuery{})
	must(t, err)
	golden(t, "findings", f.requests())
	if res.Total != 12 || len(res.Findings) != 2 {
		t.Fatalf("total %d, %d findings", res.Total, len(res.Findings))
	}
	b := res.Findings[1]
	if b.ID != "f-b" || b.Kind != vigil.KindWhatsApp || b.DocumentID != "d3" || b.CaseID != "case-1" || b.Offset != 17 ||
		b.URL != "http://gamma.onion/z" || !b.CapturedAt.Equal(t0.Add(2*time.Hour)) || b.Snippet != "… wa.me/14155550123 …" {
		t.Errorf("finding %+v lacks its provenance", b)
	}
	for _, q := range []vigil.FindingQuery{{Offset: -1}, {Limit: -1}, {Offset: 9990, Limit: 100}} {
		_, err := s.Findings(t.Context(), q)
		wantCode(t, err, vigil.EINVALID)
	}
}

func TestStatsAndDelete(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	f.reset()
	f.on(http.MethodPost, "/vigil-pages/_count", file(t, 200, "count_pages.json"))
	f.on(http.MethodPost, "/vigil-findings/_count", file(t, 200, "count_findings.json"))
	f.on(http.MethodPost, "/vigil-images/_count", file(t, 200, "count_images.json"))
	st, err := s.Stats(t.Context())
	must(t, err)
	if st != (vigil.Stats{Documents: 2, Findings: 3, Images: 5}) {
		t.Errorf("stats %+v", st)
	}
	golden(t, "stats", f.requests())

	f.reset()
	del := f.on(http.MethodPost, "/vigil-pages,vigil-findings,vigil-images/_delete_by_query", file(t, 200, "delete_by_query.json"))
	must(t, s.DeleteCrawl(t.Context(), "crawl-1"))
	golden(t, "delete_crawl", f.requests())
	wantCode(t, s.DeleteCrawl(t.Context(), ""), vigil.EINVALID)
	del.replies = []reply{file(t, 200, "delete_by_query_failures.json")}
	del.served = 0
	wantCode(t, s.DeleteCrawl(t.Context(), "crawl-1"), vigil.EUNAVAILABLE)
}

func TestMatchImages(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	zero := strings.Repeat("0", 64)
	q := vigil.ImageQuery{Hashes: []vigil.QueryHash{
		{Algorithm: vigil.AlgoPDQ, Value: zero, Variant: "original"},
		{Algorithm: vigil.AlgoPHash, Value: strings.Repeat("0", 16), Variant: "crop-0.85-center"},
		{Algorithm: vigil.AlgoSHA256, Value: strings.Repeat("a1", 32), Variant: "bytes"},
	}}

	t.Run("one multi-search, best match per image, beyond-radius answers dropped", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, "/_msearch", file(t, 200, "msearch_response.json"))
		hits, err := s.MatchImages(t.Context(), q)
		must(t, err)
		golden(t, "match_images", f.requests())
		type h struct {
			id, algo, variant string
			dist              int
		}
		var got []h
		for _, x := range hits {
			got = append(got, h{x.Image.ID, x.Algorithm, x.Variant, x.Distance})
		}
		want := []h{{"img-a", "sha256", "bytes", 0}, {"img-d", "phash", "crop-0.85-center", 2}, {"img-b", "pdq", "original", 31}}
		if !slices.Equal(got, want) {
			t.Errorf("hits %v, want %v", got, want)
		}
		if hits[0].Image.PageURL != "http://alpha.onion/gallery" || hits[0].Image.PDQQuality != 100 {
			t.Errorf("hit image %+v lacks its record", hits[0].Image)
		}
		body := string(f.requests()[0].Body)
		for _, s := range []string{`"min_score":225`, `"min_score":54`, `256 - hamming(params.query_vector, 'pdq')`, `64 - hamming(params.query_vector, 'phash')`, `"minimum_should_match":1`} {
			if !strings.Contains(body, s) {
				t.Errorf("multi-search lacks %s", s)
			}
		}
	})

	t.Run("a limit cuts the merged hits", func(t *testing.T) {
		f.on(http.MethodPost, "/_msearch", file(t, 200, "msearch_response.json"))
		q2 := q
		q2.Limit = 2
		hits, err := s.MatchImages(t.Context(), q2)
		must(t, err)
		if len(hits) != 2 || hits[1].Image.ID != "img-d" {
			t.Errorf("%d hits", len(hits))
		}
	})

	t.Run("a large radius falls back to scanning every image with the hash", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, "/_msearch", reply{status: 200, body: []byte(`{"took":1,"responses":[{"hits":{"hits":[]},"status":200}]}`)})
		_, err := s.MatchImages(t.Context(), vigil.ImageQuery{Hashes: q.Hashes[:1], MaxDistance: map[string]int{vigil.AlgoPDQ: 90}})
		must(t, err)
		golden(t, "match_images_fallback", f.requests())
	})

	t.Run("an error inside the multi-search is reported", func(t *testing.T) {
		f.on(http.MethodPost, "/_msearch", file(t, 200, "msearch_error.json"))
		_, err := s.MatchImages(t.Context(), vigil.ImageQuery{Hashes: q.Hashes[:1]})
		wantCode(t, err, vigil.EINTERNAL)
		if !strings.Contains(err.Error(), "search_phase_execution_exception") {
			t.Errorf("error %q lacks the cause", err)
		}
	})

	t.Run("malformed image queries are invalid and send nothing", func(t *testing.T) {
		f.reset()
		for _, bad := range []vigil.ImageQuery{
			{Hashes: []vigil.QueryHash{{Algorithm: "ahash", Value: "00"}}},
			{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: "xyz"}}},
			{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: strings.Repeat("0", 62)}}},
			{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: ""}}},
			{Hashes: q.Hashes[:1], MaxDistance: map[string]int{vigil.AlgoPDQ: -1}},
			{Hashes: q.Hashes[:1], MaxDistance: map[string]int{"ahash": 3}},
			{Hashes: q.Hashes[:1], Limit: -1},
		} {
			_, err := s.MatchImages(t.Context(), bad)
			wantCode(t, err, vigil.EINVALID)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests sent for malformed queries", n)
		}
	})
}

func TestNearestImages(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	f.reset()
	f.on(http.MethodPost, "/vigil-images/_search", file(t, 200, "knn_response.json"))
	hits, err := s.NearestImages(t.Context(), strings.Repeat("0", 64), 5)
	must(t, err)
	golden(t, "nearest_images", f.requests())
	if len(hits) != 2 || hits[0].Image.ID != "img-a" || hits[0].Distance != 3 || hits[1].Distance != 31 || hits[1].Algorithm != vigil.AlgoPDQ {
		t.Errorf("hits %+v, want img-a at 3 then img-b at 31", hits)
	}
	for _, bad := range []struct {
		h string
		k int
	}{{"", 1}, {"zz", 1}, {strings.Repeat("0", 64), -1}} {
		_, err := s.NearestImages(t.Context(), bad.h, bad.k)
		wantCode(t, err, vigil.EINVALID)
	}
}

func TestClosed(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	must(t, s.Close())
	must(t, s.Close())
	f.reset()
	_, err := s.Search(t.Context(), vigil.Query{})
	wantCode(t, err, vigil.EUNAVAILABLE)
	wantCode(t, s.PutDocuments(t.Context(), []vigil.Document{sampleDoc()}), vigil.EUNAVAILABLE)
	_, err = s.Stats(t.Context())
	wantCode(t, err, vigil.EUNAVAILABLE)
	if n := len(f.requests()); n != 0 {
		t.Errorf("a closed store sent %d requests", n)
	}
}
