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

// batchSize is the number of records written per bleve batch and bbolt
// transaction.
const batchSize = 1000

// Facet sizes of a search.
const (
	siteFacets = 50
	kindFacets = 64
)

// PutDocuments stores and indexes docs, replacing any document with the same
// ID. It returns an EINVALID error, and writes nothing, if a document has no
// ID. A document's Text is stored and indexed but never returned by Search.
func (s *Store) PutDocuments(ctx context.Context, docs []vigil.Document) error {
	for i := range docs {
		if docs[i].ID == "" {
			return vigil.Errorf(vigil.EINVALID, "document %d has no ID", i)
		}
	}
	return writeChunks(ctx, s, "put documents", docs, s.putDocuments)
}

// putDocuments writes one batch; the caller holds s.wmu.
func (s *Store) putDocuments(docs []vigil.Document) error {
	kinds := make([][]string, len(docs))
	err := s.db.Update(func(tx *bolt.Tx) error {
		bd, bk := tx.Bucket(bucketDocs), tx.Bucket(bucketKinds)
		for i := range docs {
			v, err := json.Marshal(&docs[i])
			if err != nil {
				return err
			}
			if err := bd.Put([]byte(docs[i].ID), v); err != nil {
				return err
			}
			kinds[i] = splitKinds(bk.Get([]byte(docs[i].ID)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put documents: %w", err)
	}
	b := s.docs.NewBatch()
	for i := range docs {
		if err := b.Index(docs[i].ID, docFields(&docs[i], kinds[i])); err != nil {
			return fmt.Errorf("put documents: index %s: %w", docs[i].ID, err)
		}
	}
	if err := s.docs.Batch(b); err != nil {
		return fmt.Errorf("put documents: index: %w", err)
	}
	return nil
}

// docFields is what the document index sees of a document.
func docFields(d *vigil.Document, kinds []string) map[string]any {
	m := map[string]any{
		"title":    d.Title,
		"text":     d.Text,
		"site":     d.Site,
		"crawl_id": d.CrawlID,
		"case_id":  d.CaseID,
	}
	if len(kinds) > 0 {
		m["kinds"] = kinds
	}
	if !d.CapturedAt.IsZero() {
		m["captured_at"] = d.CapturedAt.UTC()
		m["ts"] = sortKey(d.CapturedAt)
	}
	return m
}

func splitKinds(v []byte) []string {
	if len(v) == 0 {
		return nil
	}
	return strings.Split(string(v), ",")
}

// Document returns the document with the given ID, text included, or an
// ENOTFOUND error.
func (s *Store) Document(ctx context.Context, id string) (vigil.Document, error) {
	if err := s.begin(ctx); err != nil {
		return vigil.Document{}, err
	}
	defer s.mu.RUnlock()
	var d vigil.Document
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDocs).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &d)
	})
	if err != nil {
		return vigil.Document{}, fmt.Errorf("document %s: %w", id, err)
	} else if !found {
		return vigil.Document{}, vigil.Errorf(vigil.ENOTFOUND, "document %s not found", id)
	}
	return d, nil
}

// Search runs a full-text query over documents' titles and text.
//
// Query.Text is a list of words, each of which must appear (in the title or
// the text, case-insensitively); "double-quoted phrases" must appear as
// written; a word or phrase prefixed with - must not appear. Nothing else is
// syntax. Empty text matches every document. Hits are ordered by relevance,
// then newest capture first, then ID; with empty text by newest capture. Each
// hit's snippet is plain text cut around the first matching word of the text.
// Facets "site" and "kind" count over all hits. Search returns an EINVALID
// error for malformed text (invalid UTF-8, an unclosed quote, more than 2,048
// bytes or 32 clauses), a negative offset or limit, or From not before To.
func (s *Store) Search(ctx context.Context, q vigil.Query) (vigil.SearchResult, error) {
	plan, err := q.Plan()
	if err != nil {
		return vigil.SearchResult{}, err
	}
	if err := s.begin(ctx); err != nil {
		return vigil.SearchResult{}, err
	}
	defer s.mu.RUnlock()
	tq := s.analyzer.query(plan.Clauses)

	bq := bleve.NewBooleanQuery()
	if len(tq.must) == 0 && !tq.empty {
		bq.AddMust(bleve.NewMatchNoneQuery())
	} else if len(tq.must) == 0 {
		bq.AddMust(bleve.NewMatchAllQuery())
	}
	for _, c := range tq.must {
		bq.AddMust(clauseQuery(c))
	}
	for _, c := range tq.mustNot {
		bq.AddMustNot(clauseQuery(c))
	}
	var filters []query.Query
	for field, v := range map[string]string{"site": q.Site, "crawl_id": q.CrawlID, "case_id": q.CaseID, "kinds": string(q.Kind)} {
		if v != "" {
			filters = append(filters, termQuery(field, v))
		}
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		yes, no := true, false
		dq := bleve.NewDateRangeInclusiveQuery(q.From, q.To, &yes, &no)
		dq.SetField("captured_at")
		filters = append(filters, dq)
	}
	if len(filters) > 0 {
		bq.AddFilter(bleve.NewConjunctionQuery(filters...))
	}

	req := bleve.NewSearchRequestOptions(bq, plan.Limit, plan.Offset, false)
	if len(tq.must) == 0 {
		req.SortBy([]string{"-ts", "_id"})
	} else {
		req.SortBy([]string{"-_score", "-ts", "_id"})
	}
	req.AddFacet("site", bleve.NewFacetRequest("site", siteFacets))
	req.AddFacet("kind", bleve.NewFacetRequest("kinds", kindFacets))
	res, err := s.docs.SearchInContext(ctx, req)
	if err != nil {
		return vigil.SearchResult{}, fmt.Errorf("search: %w", err)
	}

	out := vigil.SearchResult{
		Total:  int(res.Total),
		Hits:   make([]vigil.SearchHit, 0, len(res.Hits)),
		Facets: map[string][]vigil.FacetTerm{},
	}
	for name, f := range res.Facets {
		terms := []vigil.FacetTerm{}
		if f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				terms = append(terms, vigil.FacetTerm{Term: t.Term, Count: t.Count})
			}
		}
		out.Facets[name] = terms
	}
	snippetTerms := tq.terms()
	err = s.db.View(func(tx *bolt.Tx) error {
		bd := tx.Bucket(bucketDocs)
		for _, h := range res.Hits {
			v := bd.Get([]byte(h.ID))
			if v == nil {
				continue // indexed but not stored: a crash between the two writes
			}
			var d vigil.Document
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("document %s: %w", h.ID, err)
			}
			hit := vigil.SearchHit{Score: h.Score, Snippet: s.analyzer.snippet(d.Text, snippetTerms)}
			if len(tq.must) == 0 {
				hit.Score = 0
			}
			d.Text = ""
			hit.Document = d
			out.Hits = append(out.Hits, hit)
		}
		return nil
	})
	if err != nil {
		return vigil.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

func termQuery(field, v string) *query.TermQuery {
	t := bleve.NewTermQuery(v)
	t.SetField(field)
	return t
}

// clauseQuery matches one word (a single term) or phrase in the title or the
// text; title matches weigh double.
func clauseQuery(terms []string) query.Query {
	if len(terms) == 1 {
		title, text := termQuery("title", terms[0]), termQuery("text", terms[0])
		title.SetBoost(2)
		return bleve.NewDisjunctionQuery(title, text)
	}
	title, text := bleve.NewPhraseQuery(terms, "title"), bleve.NewPhraseQuery(terms, "text")
	title.SetBoost(2)
	return bleve.NewDisjunctionQuery(title, text)
}

// writeChunks runs write over items in batches of batchSize, holding the
// store open and its write lock, and stops between batches when ctx ends.
func writeChunks[T any](ctx context.Context, s *Store, what string, items []T, write func([]T) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for chunk := range slices.Chunk(items, batchSize) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := write(chunk); err != nil {
			return err
		}
	}
	return nil
}
