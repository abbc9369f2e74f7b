package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"vigil"
)

// Stats returns exact counts of the documents (placeholders excluded),
// findings and images held, from the _count API.
func (s *Store) Stats(ctx context.Context) (vigil.Stats, error) {
	if err := s.begin(ctx); err != nil {
		return vigil.Stats{}, err
	}
	defer s.mu.RUnlock()
	var st vigil.Stats
	for _, c := range []struct {
		kind  string
		query any
		into  *int
	}{
		{kindPages, map[string]any{"query": isPage}, &st.Documents},
		{kindFindings, nil, &st.Findings},
		{kindImages, nil, &st.Images},
	} {
		resp, err := s.do(ctx, "stats", http.MethodPost, "/"+s.alias(c.kind)+"/_count", nil, c.query)
		if err != nil {
			return vigil.Stats{}, err
		}
		var r struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal(resp, &r); err != nil {
			return vigil.Stats{}, fmt.Errorf("stats: decode response: %w", err)
		}
		*c.into = r.Count
	}
	return st, nil
}

// DeleteCrawl removes the documents (placeholders included), findings and
// images of a crawl with one delete_by_query over the three aliases,
// refreshed before it returns. Deleting an unknown or already deleted crawl
// does nothing. A call that fails part-way can simply be repeated. An empty
// crawl ID is an EINVALID error; failures reported by the cluster are
// EUNAVAILABLE errors.
func (s *Store) DeleteCrawl(ctx context.Context, crawlID string) error {
	if crawlID == "" {
		return vigil.Errorf(vigil.EINVALID, "delete crawl: crawl ID is required")
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	what := "delete crawl " + crawlID
	path := "/" + strings.Join([]string{s.alias(kindPages), s.alias(kindFindings), s.alias(kindImages)}, ",") + "/_delete_by_query"
	query := url.Values{"conflicts": {"proceed"}, "refresh": {"true"}, "slices": {"auto"}}
	resp, err := s.do(ctx, what, http.MethodPost, path, query, map[string]any{"query": term("crawl_id", crawlID)})
	if err != nil {
		return err
	}
	var r struct {
		Deleted          int               `json:"deleted"`
		VersionConflicts int               `json:"version_conflicts"`
		Failures         []json.RawMessage `json:"failures"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("%s: decode response: %w", what, err)
	}
	if len(r.Failures) > 0 {
		return vigil.Errorf(vigil.EUNAVAILABLE, "%s: %d failures, the first: %s", what, len(r.Failures), r.Failures[0])
	}
	if r.VersionConflicts > 0 {
		return vigil.Errorf(vigil.EUNAVAILABLE, "%s: %d records changed while deleting: repeat the call", what, r.VersionConflicts)
	}
	return nil
}
