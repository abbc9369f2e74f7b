package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"vigil"
)

// Facet sizes of a search, the same as the embedded store's, and the
// deepest page Elasticsearch serves.
const (
	siteFacets     = 50
	kindFacets     = 64
	maxResultWndow = 10000 // index.max_result_window of the templates
)

// Painless scripts of page writes. Both run as scripted upserts, so the
// page exists afterwards whichever came first.
const (
	// scriptPutPage replaces a page's fields with params.doc and keeps the
	// kinds its findings recorded.
	scriptPutPage = `def kinds = ctx._source.kinds; ctx._source.clear(); ctx._source.putAll(params.doc); if (kinds != null) { ctx._source.kinds = kinds; }`
	// scriptAddKinds adds params.kinds to a page's kinds (creating a
	// placeholder with params.crawl_id when the page is not there yet) and
	// is a no-op when nothing changes.
	scriptAddKinds = `boolean changed = false; if (ctx._source.kinds == null) { ctx._source.kinds = new ArrayList(); } for (k in params.kinds) { if (!ctx._source.kinds.contains(k)) { ctx._source.kinds.add(k); changed = true; } } if (ctx._source.crawl_id == null) { ctx._source.crawl_id = params.crawl_id; changed = true; } if (!changed) { ctx.op = 'noop'; }`
)

// pageSource is what the pages index holds of a document: the document
// itself plus @timestamp for Kibana. kinds is maintained by the scripts.
func pageSource(d *vigil.Document) (map[string]any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if !d.CapturedAt.IsZero() {
		m["captured_at"] = d.CapturedAt.UTC().Format(time.RFC3339Nano)
		m["@timestamp"] = m["captured_at"]
	} else {
		delete(m, "captured_at")
	}
	return m, nil
}

// upsert is the body of a scripted-upsert bulk update.
func upsert(source string, params map[string]any) ([]byte, error) {
	return json.Marshal(map[string]any{
		"scripted_upsert": true,
		"upsert":          map[string]any{},
		"script":          map[string]any{"lang": "painless", "source": source, "params": params},
	})
}

// PutDocuments stores and indexes docs, replacing any document with the same
// ID and keeping the contact kinds its findings recorded. It returns an
// EINVALID error, and writes nothing, if a document has no ID; an EINVALID
// error naming them if Elasticsearch rejects some documents (the others are
// written).
func (s *Store) PutDocuments(ctx context.Context, docs []vigil.Document) error {
	ops := make([]bulkOp, 0, len(docs))
	for i := range docs {
		if docs[i].ID == "" {
			return vigil.Errorf(vigil.EINVALID, "document %d has no ID", i)
		}
		src, err := pageSource(&docs[i])
		if err != nil {
			return fmt.Errorf("put documents: %w", err)
		}
		body, err := upsert(scriptPutPage, map[string]any{"doc": src})
		if err != nil {
			return fmt.Errorf("put documents: %w", err)
		}
		ops = append(ops, bulkOp{action: "update", index: s.alias(kindPages), id: docs[i].ID, body: body})
	}
	if len(ops) == 0 {
		return nil
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.bulk(ctx, "put documents", ops)
}

// getResponse is a get API response.
type getResponse struct {
	Found  bool            `json:"found"`
	Source json.RawMessage `json:"_source"`
}

// Document returns the document with the given ID, text included, or an
// ENOTFOUND error.
func (s *Store) Document(ctx context.Context, id string) (vigil.Document, error) {
	if err := s.begin(ctx); err != nil {
		return vigil.Document{}, err
	}
	defer s.mu.RUnlock()
	what := "document " + id
	status, body, err := s.perform(ctx, http.MethodGet, "/"+s.alias(kindPages)+"/_doc/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return vigil.Document{}, fmt.Errorf("%s: %w", what, err)
	}
	var res getResponse
	if status == http.StatusNotFound && errorType(body) == "" {
		return vigil.Document{}, vigil.Errorf(vigil.ENOTFOUND, "document %s not found", id)
	} else if status >= 300 {
		return vigil.Document{}, statusError(what, status, body)
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return vigil.Document{}, fmt.Errorf("%s: decode response: %w", what, err)
	}
	var d vigil.Document
	if res.Found {
		if err := json.Unmarshal(res.Source, &d); err != nil {
			return vigil.Document{}, fmt.Errorf("%s: decode: %w", what, err)
		}
	}
	if d.ID == "" { // not found, or a placeholder holding only kinds
		return vigil.Document{}, vigil.Errorf(vigil.ENOTFOUND, "document %s not found", id)
	}
	return d, nil
}

// searchResponse is the part of a search API response the store reads.
type searchResponse struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []searchHit `json:"hits"`
	} `json:"hits"`
	Aggregations map[string]struct {
		Buckets []struct {
			Key      string `json:"key"`
			DocCount int    `json:"doc_count"`
		} `json:"buckets"`
	} `json:"aggregations"`
}

type searchHit struct {
	ID        string              `json:"_id"`
	Score     *float64            `json:"_score"`
	Source    json.RawMessage     `json:"_source"`
	Highlight map[string][]string `json:"highlight"`
}

// isPage keeps real pages, not the placeholders of findings put first.
var isPage = map[string]any{"exists": map[string]any{"field": "id"}}

func term(field, v string) map[string]any {
	return map[string]any{"term": map[string]any{field: v}}
}

// phrase matches raw as a phrase in the title (weighing double) or the text.
func phrase(raw string) map[string]any {
	return map[string]any{"multi_match": map[string]any{"query": raw, "type": "phrase", "fields": []string{"title^2", "text"}}}
}

// Search runs a full-text query over documents' titles and text, with the
// embedded store's semantics: Query.Text is words that must all appear,
// "quoted phrases" and -exclusions, nothing else is syntax, and empty text
// matches every document. Hits are ordered by relevance, then newest
// capture first, then ID; with empty text by newest capture. Each hit's
// snippet is plain text around the first highlighted match. Facets "site"
// and "kind" count over all hits. It returns an EINVALID error for
// malformed text, a negative offset or limit, From not before To, or an
// offset beyond the 10,000th hit.
func (s *Store) Search(ctx context.Context, q vigil.Query) (vigil.SearchResult, error) {
	plan, err := q.Plan()
	if err != nil {
		return vigil.SearchResult{}, err
	}
	if plan.Offset+plan.Limit > maxResultWndow {
		return vigil.SearchResult{}, vigil.Errorf(vigil.EINVALID, "search pages end at hit %d; narrow the query", maxResultWndow)
	}
	tq := textQueryOf(plan.Clauses)
	if err := s.begin(ctx); err != nil {
		return vigil.SearchResult{}, err
	}
	defer s.mu.RUnlock()
	body := s.searchBody(q, tq, plan)
	resp, err := s.do(ctx, "search", http.MethodPost, "/"+s.alias(kindPages)+"/_search", nil, body)
	if err != nil {
		return vigil.SearchResult{}, err
	}
	return decodeSearch(resp, len(tq.must) > 0)
}

// searchBody is the search request of q.
func (s *Store) searchBody(q vigil.Query, tq textQuery, plan vigil.QueryPlan) map[string]any {
	filter := []any{isPage}
	for _, fv := range [][2]string{{"site", q.Site}, {"crawl_id", q.CrawlID}, {"case_id", q.CaseID}, {"kinds", string(q.Kind)}} {
		if fv[1] != "" {
			filter = append(filter, term(fv[0], fv[1]))
		}
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		r := map[string]any{}
		if !q.From.IsZero() {
			r["gte"] = q.From.UTC().Format(time.RFC3339Nano)
		}
		if !q.To.IsZero() {
			r["lt"] = q.To.UTC().Format(time.RFC3339Nano)
		}
		filter = append(filter, map[string]any{"range": map[string]any{"captured_at": r}})
	}
	boolq := map[string]any{"filter": filter}
	var must, mustNot []any
	for _, c := range tq.must {
		must = append(must, phrase(c))
	}
	for _, c := range tq.mustNot {
		mustNot = append(mustNot, phrase(c))
	}
	if tq.none {
		must = []any{map[string]any{"match_none": map[string]any{}}}
	}
	if len(must) > 0 {
		boolq["must"] = must
	}
	if len(mustNot) > 0 {
		boolq["must_not"] = mustNot
	}
	sort := []any{map[string]any{"captured_at": map[string]any{"order": "desc"}}, map[string]any{"id": map[string]any{"order": "asc"}}}
	if len(tq.must) > 0 {
		sort = append([]any{map[string]any{"_score": map[string]any{"order": "desc"}}}, sort...)
	}
	return map[string]any{
		"track_total_hits": true,
		"from":             plan.Offset,
		"size":             plan.Limit,
		"query":            map[string]any{"bool": boolq},
		"sort":             sort,
		"_source":          map[string]any{"excludes": []string{"text", "kinds", "@timestamp"}},
		"aggs": map[string]any{
			"site": map[string]any{"terms": map[string]any{"field": "site", "size": siteFacets}},
			"kind": map[string]any{"terms": map[string]any{"field": "kinds", "size": kindFacets}},
		},
		"highlight": map[string]any{
			"pre_tags":  []string{markStart},
			"post_tags": []string{markEnd},
			"fields": map[string]any{"text": map[string]any{
				"type": "unified", "fragment_size": snippetBefore + snippetAfter,
				"number_of_fragments": 1, "no_match_size": snippetBefore + snippetAfter,
			}},
		},
	}
}

// decodeSearch reads a search response into a result; scored says whether
// hits keep their relevance score.
func decodeSearch(resp []byte, scored bool) (vigil.SearchResult, error) {
	var r searchResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return vigil.SearchResult{}, fmt.Errorf("search: decode response: %w", err)
	}
	out := vigil.SearchResult{
		Total:  r.Hits.Total.Value,
		Hits:   make([]vigil.SearchHit, 0, len(r.Hits.Hits)),
		Facets: map[string][]vigil.FacetTerm{},
	}
	for _, name := range []string{"site", "kind"} {
		terms := []vigil.FacetTerm{}
		for _, b := range r.Aggregations[name].Buckets {
			terms = append(terms, vigil.FacetTerm{Term: b.Key, Count: b.DocCount})
		}
		out.Facets[name] = terms
	}
	for _, h := range r.Hits.Hits {
		var d vigil.Document
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return vigil.SearchResult{}, fmt.Errorf("search: decode hit %s: %w", h.ID, err)
		}
		d.Text = ""
		hit := vigil.SearchHit{Document: d}
		if scored && h.Score != nil {
			hit.Score = *h.Score
		}
		if frags := h.Highlight["text"]; len(frags) > 0 {
			hit.Snippet = snippet(frags[0])
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}
