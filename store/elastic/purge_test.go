package elastic_test

import (
	"net/http"
	"slices"
	"testing"

	"vigil"
)

func TestPurgeCase(t *testing.T) {
	f := newFake(t)
	s := open(t, f)
	const aliases = "/vigil-pages,vigil-findings,vigil-images"

	t.Run("finds the case's crawls, then deletes the case and those crawls in one delete_by_query", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, aliases+"/_search", file(t, 200, "case_crawls.json"))
		f.on(http.MethodPost, aliases+"/_delete_by_query", file(t, 200, "delete_by_query.json"))
		crawls, err := s.PurgeCase(t.Context(), "case-a")
		must(t, err)
		if !slices.Equal(crawls, []string{"crawl-a1", "crawl-a2"}) {
			t.Errorf("crawls purged %v; want crawl-a1, crawl-a2", crawls)
		}
		golden(t, "purge_case", f.requests())
	})

	t.Run("a case without records deletes by case only and returns no crawls", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, aliases+"/_search", file(t, 200, "case_crawls_none.json"))
		f.on(http.MethodPost, aliases+"/_delete_by_query", file(t, 200, "delete_by_query.json"))
		crawls, err := s.PurgeCase(t.Context(), "case-none")
		must(t, err)
		if len(crawls) != 0 {
			t.Errorf("crawls purged %v; want none", crawls)
		}
		golden(t, "purge_case_empty", f.requests())
	})

	t.Run("CaseCrawls is the aggregation alone", func(t *testing.T) {
		f.reset()
		f.on(http.MethodPost, aliases+"/_search", file(t, 200, "case_crawls.json"))
		crawls, err := s.CaseCrawls(t.Context(), "case-a")
		must(t, err)
		if !slices.Equal(crawls, []string{"crawl-a1", "crawl-a2"}) {
			t.Errorf("CaseCrawls = %v", crawls)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d requests; want 1", n)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := s.PurgeCase(t.Context(), "")
		wantCode(t, err, vigil.EINVALID)
		f.reset()
		f.on(http.MethodPost, aliases+"/_search", file(t, 200, "case_crawls.json"))
		f.on(http.MethodPost, aliases+"/_delete_by_query", file(t, 200, "delete_by_query_failures.json"))
		_, err = s.PurgeCase(t.Context(), "case-a")
		wantCode(t, err, vigil.EUNAVAILABLE)
		f.reset()
		f.on(http.MethodPost, aliases+"/_search", file(t, 503, "unavailable.json"))
		_, err = s.PurgeCase(t.Context(), "case-a")
		wantCode(t, err, vigil.EUNAVAILABLE)
	})
}
