package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"vigil"
)

// maxCaseCrawls bounds the crawl IDs one case may have for PurgeCase.
const maxCaseCrawls = 10000

// CaseCrawls returns the sorted IDs of the crawls of which the index holds
// a document, finding or image of the case, from one terms aggregation over
// the three aliases. A case with more than 10,000 crawls is an EINVALID
// error.
func (s *Store) CaseCrawls(ctx context.Context, caseID string) ([]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return s.caseCrawls(ctx, caseID)
}

func (s *Store) caseCrawls(ctx context.Context, caseID string) ([]string, error) {
	what := "crawls of case " + caseID
	body := map[string]any{
		"size": 0, "track_total_hits": false, "query": term("case_id", caseID),
		"aggs": map[string]any{"crawls": map[string]any{"terms": map[string]any{"field": "crawl_id", "size": maxCaseCrawls + 1}}},
	}
	resp, err := s.do(ctx, what, http.MethodPost, "/"+s.allAliases()+"/_search", nil, body)
	if err != nil {
		return nil, err
	}
	var r searchResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("%s: decode response: %w", what, err)
	}
	buckets := r.Aggregations["crawls"].Buckets
	if len(buckets) > maxCaseCrawls {
		return nil, vigil.Errorf(vigil.EINVALID, "%s: more than %d crawls", what, maxCaseCrawls)
	}
	ids := make([]string, 0, len(buckets))
	for _, b := range buckets {
		ids = append(ids, b.Key)
	}
	slices.Sort(ids)
	return ids, nil
}

func (s *Store) allAliases() string {
	return strings.Join([]string{s.alias(kindPages), s.alias(kindFindings), s.alias(kindImages)}, ",")
}

// PurgeCase deletes the documents, findings and images of a case, and every
// record of the case's crawls (placeholders of pages included, which carry
// a crawl but no case), with one delete_by_query over the three aliases,
// refreshed before it returns. It returns the IDs of the crawls purged,
// sorted. A call that fails part-way can simply be repeated. An empty case
// ID is an EINVALID error; failures reported by the cluster are
// EUNAVAILABLE errors.
func (s *Store) PurgeCase(ctx context.Context, caseID string) ([]string, error) {
	if caseID == "" {
		return nil, vigil.Errorf(vigil.EINVALID, "purge case: case ID is required")
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	crawls, err := s.caseCrawls(ctx, caseID)
	if err != nil {
		return nil, err
	}
	should := []any{term("case_id", caseID)}
	if len(crawls) > 0 {
		should = append(should, map[string]any{"terms": map[string]any{"crawl_id": crawls}})
	}
	what := "purge case " + caseID
	query := url.Values{"conflicts": {"proceed"}, "refresh": {"true"}, "slices": {"auto"}}
	resp, err := s.do(ctx, what, http.MethodPost, "/"+s.allAliases()+"/_delete_by_query", query,
		map[string]any{"query": map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}})
	if err != nil {
		return nil, err
	}
	var r struct {
		Deleted          int               `json:"deleted"`
		VersionConflicts int               `json:"version_conflicts"`
		Failures         []json.RawMessage `json:"failures"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, fmt.Errorf("%s: decode response: %w", what, err)
	}
	if len(r.Failures) > 0 {
		return nil, vigil.Errorf(vigil.EUNAVAILABLE, "%s: %d failures, the first: %s", what, len(r.Failures), r.Failures[0])
	}
	if r.VersionConflicts > 0 {
		return nil, vigil.Errorf(vigil.EUNAVAILABLE, "%s: %d records changed while deleting: repeat the call", what, r.VersionConflicts)
	}
	return crawls, nil
}
