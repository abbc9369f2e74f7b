package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"vigil"
)

// findingSource is what the findings index holds of a finding: the finding
// with its provenance, plus @timestamp for Kibana.
func findingSource(f *vigil.Finding) ([]byte, error) {
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	if f.CapturedAt.IsZero() {
		return raw, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["captured_at"] = f.CapturedAt.UTC().Format(time.RFC3339Nano)
	m["@timestamp"] = m["captured_at"]
	return json.Marshal(m)
}

// PutFindings stores findings, replacing any finding with the same ID, and
// adds each finding's kind to the kinds of its document (see the package
// documentation). Findings and page updates travel in one bulk request. It
// returns an EINVALID error, and writes nothing, if a finding has no ID,
// kind or value.
func (s *Store) PutFindings(ctx context.Context, findings []vigil.Finding) error {
	ops := make([]bulkOp, 0, len(findings))
	kinds := map[string][]string{} // document ID → kinds
	crawls := map[string]string{}  // document ID → crawl ID
	for i := range findings {
		f := &findings[i]
		if f.ID == "" || f.Kind == "" || f.Value == "" {
			return vigil.Errorf(vigil.EINVALID, "finding %d has no ID, kind or value", i)
		}
		if strings.Contains(string(f.Kind), ",") {
			return vigil.Errorf(vigil.EINVALID, "finding %d has an invalid kind %q", i, f.Kind)
		}
		body, err := findingSource(f)
		if err != nil {
			return fmt.Errorf("put findings: %w", err)
		}
		ops = append(ops, bulkOp{action: "index", index: s.alias(kindFindings), id: f.ID, body: body})
		if f.DocumentID != "" && !slices.Contains(kinds[f.DocumentID], string(f.Kind)) {
			kinds[f.DocumentID] = append(kinds[f.DocumentID], string(f.Kind))
			if _, ok := crawls[f.DocumentID]; !ok {
				crawls[f.DocumentID] = f.CrawlID
			}
		}
	}
	if len(ops) == 0 {
		return nil
	}
	docIDs := make([]string, 0, len(kinds))
	for id := range kinds {
		docIDs = append(docIDs, id)
	}
	slices.Sort(docIDs)
	for _, id := range docIDs {
		ks := kinds[id]
		slices.Sort(ks)
		body, err := upsert(scriptAddKinds, map[string]any{"kinds": ks, "crawl_id": crawls[id]})
		if err != nil {
			return fmt.Errorf("put findings: %w", err)
		}
		ops = append(ops, bulkOp{action: "update", index: s.alias(kindPages), id: id, body: body})
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.bulk(ctx, "put findings", ops)
}

// Findings looks findings up by exact kind and value (either may be empty
// for any) and the optional site, crawl, case and document filters. It
// returns the total number of matches and the requested page, ordered by
// capture time, then URL, then ID. A zero limit means 100; limits above
// 10,000 are cut to 10,000. A negative offset or limit, or a page ending
// beyond the 10,000th finding, is an EINVALID error.
func (s *Store) Findings(ctx context.Context, q vigil.FindingQuery) (vigil.FindingResult, error) {
	plan, err := q.Plan()
	if err != nil {
		return vigil.FindingResult{}, err
	}
	if plan.Offset+plan.Limit > maxResultWndow {
		return vigil.FindingResult{}, vigil.Errorf(vigil.EINVALID, "finding pages end at finding %d; narrow the query", maxResultWndow)
	}
	if err := s.begin(ctx); err != nil {
		return vigil.FindingResult{}, err
	}
	defer s.mu.RUnlock()
	var filter []any
	for _, fv := range [][2]string{{"kind", string(q.Kind)}, {"value", q.Value}, {"site", q.Site}, {"crawl_id", q.CrawlID}, {"case_id", q.CaseID}, {"document_id", q.DocumentID}} {
		if fv[1] != "" {
			filter = append(filter, term(fv[0], fv[1]))
		}
	}
	query := map[string]any{"match_all": map[string]any{}}
	if len(filter) > 0 {
		query = map[string]any{"bool": map[string]any{"filter": filter}}
	}
	body := map[string]any{
		"track_total_hits": true,
		"from":             plan.Offset,
		"size":             plan.Limit,
		"query":            query,
		"sort": []any{
			map[string]any{"captured_at": map[string]any{"order": "asc"}},
			map[string]any{"url": map[string]any{"order": "asc"}},
			map[string]any{"id": map[string]any{"order": "asc"}},
		},
		"_source": map[string]any{"excludes": []string{"@timestamp"}},
	}
	resp, err := s.do(ctx, "findings", http.MethodPost, "/"+s.alias(kindFindings)+"/_search", nil, body)
	if err != nil {
		return vigil.FindingResult{}, err
	}
	return decodeFindings(resp)
}

func decodeFindings(resp []byte) (vigil.FindingResult, error) {
	var r searchResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return vigil.FindingResult{}, fmt.Errorf("findings: decode response: %w", err)
	}
	out := vigil.FindingResult{Total: r.Hits.Total.Value, Findings: make([]vigil.Finding, 0, len(r.Hits.Hits))}
	for _, h := range r.Hits.Hits {
		var f vigil.Finding
		if err := json.Unmarshal(h.Source, &f); err != nil {
			return vigil.FindingResult{}, fmt.Errorf("findings: decode hit %s: %w", h.ID, err)
		}
		out.Findings = append(out.Findings, f)
	}
	return out, nil
}
