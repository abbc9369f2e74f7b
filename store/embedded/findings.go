package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	bolt "go.etcd.io/bbolt"

	"vigil"
)

// PutFindings stores and indexes findings, replacing any finding with the
// same ID, and adds each finding's kind to the kinds of its document (see the
// package documentation). It returns an EINVALID error, and writes nothing,
// if a finding has no ID, kind or value.
func (s *Store) PutFindings(ctx context.Context, findings []vigil.Finding) error {
	for i, f := range findings {
		if f.ID == "" || f.Kind == "" || f.Value == "" {
			return vigil.Errorf(vigil.EINVALID, "finding %d has no ID, kind or value", i)
		}
		if strings.Contains(string(f.Kind), ",") {
			return vigil.Errorf(vigil.EINVALID, "finding %d has an invalid kind %q", i, f.Kind)
		}
	}
	return writeChunks(ctx, s, "put findings", findings, s.putFindings)
}

// putFindings writes one batch; the caller holds s.wmu.
func (s *Store) putFindings(findings []vigil.Finding) error {
	// Documents whose kind set grew and which are already indexed.
	var reindex []vigil.Document
	var reindexKinds [][]string
	err := s.db.Update(func(tx *bolt.Tx) error {
		bf, bk, bd := tx.Bucket(bucketFindings), tx.Bucket(bucketKinds), tx.Bucket(bucketDocs)
		grown := map[string][]string{}
		for i := range findings {
			f := &findings[i]
			v, err := json.Marshal(f)
			if err != nil {
				return err
			}
			if err := bf.Put([]byte(f.ID), v); err != nil {
				return err
			}
			if f.DocumentID == "" {
				continue
			}
			kinds, ok := grown[f.DocumentID]
			if !ok {
				kinds = splitKinds(bk.Get([]byte(f.DocumentID)))
			}
			if !slices.Contains(kinds, string(f.Kind)) {
				kinds = append(slices.Clone(kinds), string(f.Kind))
				slices.Sort(kinds)
				grown[f.DocumentID] = kinds
			}
		}
		ids := make([]string, 0, len(grown))
		for id := range grown {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if err := bk.Put([]byte(id), []byte(strings.Join(grown[id], ","))); err != nil {
				return err
			}
			if v := bd.Get([]byte(id)); v != nil {
				var d vigil.Document
				if err := json.Unmarshal(v, &d); err != nil {
					return fmt.Errorf("document %s: %w", id, err)
				}
				reindex = append(reindex, d)
				reindexKinds = append(reindexKinds, grown[id])
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put findings: %w", err)
	}
	b := s.findings.NewBatch()
	for i := range findings {
		if err := b.Index(findings[i].ID, findingFields(&findings[i])); err != nil {
			return fmt.Errorf("put findings: index %s: %w", findings[i].ID, err)
		}
	}
	if err := s.findings.Batch(b); err != nil {
		return fmt.Errorf("put findings: index: %w", err)
	}
	if len(reindex) > 0 {
		b := s.docs.NewBatch()
		for i := range reindex {
			if err := b.Index(reindex[i].ID, docFields(&reindex[i], reindexKinds[i])); err != nil {
				return fmt.Errorf("put findings: reindex document %s: %w", reindex[i].ID, err)
			}
		}
		if err := s.docs.Batch(b); err != nil {
			return fmt.Errorf("put findings: reindex documents: %w", err)
		}
	}
	return nil
}

// findingFields is what the finding index sees of a finding.
func findingFields(f *vigil.Finding) map[string]any {
	m := map[string]any{
		"kind":        string(f.Kind),
		"value":       f.Value,
		"site":        f.Site,
		"crawl_id":    f.CrawlID,
		"case_id":     f.CaseID,
		"document_id": f.DocumentID,
		"url":         f.URL,
	}
	if !f.CapturedAt.IsZero() {
		m["ts"] = sortKey(f.CapturedAt)
	}
	return m
}

// Findings looks findings up by exact kind and value (either may be empty
// for any) and the optional site, crawl, case and document filters. It returns the
// total number of matches and the requested page, ordered by capture time,
// then URL, then ID. A zero limit means 100; limits above 10,000 are cut to
// 10,000. A negative offset or limit is an EINVALID error.
func (s *Store) Findings(ctx context.Context, q vigil.FindingQuery) (vigil.FindingResult, error) {
	plan, err := q.Plan()
	if err != nil {
		return vigil.FindingResult{}, err
	}
	if err := s.begin(ctx); err != nil {
		return vigil.FindingResult{}, err
	}
	defer s.mu.RUnlock()

	var terms []query.Query
	for _, fv := range [][2]string{{"kind", string(q.Kind)}, {"value", q.Value}, {"site", q.Site}, {"crawl_id", q.CrawlID}, {"case_id", q.CaseID}, {"document_id", q.DocumentID}} {
		if fv[1] != "" {
			terms = append(terms, termQuery(fv[0], fv[1]))
		}
	}
	var bq query.Query = bleve.NewMatchAllQuery()
	if len(terms) > 0 {
		bq = bleve.NewConjunctionQuery(terms...)
	}
	req := bleve.NewSearchRequestOptions(bq, plan.Limit, plan.Offset, false)
	req.SortBy([]string{"ts", "url", "_id"})
	res, err := s.findings.SearchInContext(ctx, req)
	if err != nil {
		return vigil.FindingResult{}, fmt.Errorf("findings: %w", err)
	}
	out := vigil.FindingResult{Total: int(res.Total), Findings: make([]vigil.Finding, 0, len(res.Hits))}
	err = s.db.View(func(tx *bolt.Tx) error {
		bf := tx.Bucket(bucketFindings)
		for _, h := range res.Hits {
			v := bf.Get([]byte(h.ID))
			if v == nil {
				continue
			}
			var f vigil.Finding
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("finding %s: %w", h.ID, err)
			}
			out.Findings = append(out.Findings, f)
		}
		return nil
	})
	if err != nil {
		return vigil.FindingResult{}, fmt.Errorf("findings: %w", err)
	}
	return out, nil
}
