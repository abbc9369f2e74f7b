package vigil

import (
	"context"
	"io"
	"time"
)

// Query is a full-text search over captured documents.
type Query struct {
	Text    string    `json:"q"`                  // words or phrases; empty matches every document
	Site    string    `json:"site,omitempty"`     // exact host[:port]
	Kind    Kind      `json:"kind,omitempty"`     // only documents with a finding of this kind
	CrawlID string    `json:"crawl_id,omitempty"` // only documents of this crawl
	CaseID  string    `json:"case_id,omitempty"`
	From    time.Time `json:"from,omitzero"` // captured at or after
	To      time.Time `json:"to,omitzero"`   // captured before
	Offset  int       `json:"offset,omitempty"`
	Limit   int       `json:"limit,omitempty"` // 0 means a default of 20; at most 1000
}

// SearchResult is one page of search hits, with facet counts over all hits.
type SearchResult struct {
	Total  int                    `json:"total"`
	Hits   []SearchHit            `json:"hits"`
	Facets map[string][]FacetTerm `json:"facets,omitempty"` // "site", "kind"
}

// SearchHit is a document that matched, without its full text.
type SearchHit struct {
	Document Document `json:"document"`
	Score    float64  `json:"score"`
	Snippet  string   `json:"snippet,omitempty"` // plain text around the match; escape before display
}

// FacetTerm is a facet value and the number of hits that have it.
type FacetTerm struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// FindingQuery looks findings up by kind and normalised value: the contact
// search and the pivot ("every page where this phone appears").
type FindingQuery struct {
	Kind    Kind   `json:"kind,omitempty"`  // empty: any kind
	Value   string `json:"value,omitempty"` // exact normalised value; empty: any
	Site    string `json:"site,omitempty"`
	CrawlID string `json:"crawl_id,omitempty"`
	CaseID  string `json:"case_id,omitempty"`
	// DocumentID restricts the lookup to one document's findings.
	DocumentID string `json:"document_id,omitempty"`
	Offset     int    `json:"offset,omitempty"`
	Limit      int    `json:"limit,omitempty"` // 0 means 100; at most 10000
}

// FindingResult is one page of findings ordered by capture time, then URL.
type FindingResult struct {
	Total    int       `json:"total"`
	Findings []Finding `json:"findings"`
}

// Image hash algorithms.
const (
	AlgoPDQ    = "pdq"
	AlgoPHash  = "phash"
	AlgoSHA256 = "sha256"
	AlgoMD5    = "md5"
)

// ImageQuery asks for stored images near any of the given hashes.
type ImageQuery struct {
	Hashes      []QueryHash    `json:"hashes"`
	MaxDistance map[string]int `json:"max_distance,omitempty"` // per algorithm; defaults: pdq 31, phash 10
	Limit       int            `json:"limit,omitempty"`        // 0 means 100
}

// QueryHash is one hash of a query image (an original or a variant of it).
type QueryHash struct {
	Algorithm string `json:"algorithm"`         // AlgoPDQ, AlgoPHash, AlgoSHA256 or AlgoMD5
	Value     string `json:"value"`             // lower-case hex
	Variant   string `json:"variant,omitempty"` // e.g. "original", "rot90", "crop-0.85-center"
}

// ImageHit is a stored image that matched a query hash. Each stored image
// appears once, with its best (smallest-distance) match.
type ImageHit struct {
	Image     Image  `json:"image"`
	Algorithm string `json:"algorithm"`
	Distance  int    `json:"distance"`
	Variant   string `json:"variant,omitempty"`
	// Band is BandMatch or BandReview as DESIGN.md §3 defines them, set by
	// the matcher (package match); "" when the hit is outside both (a
	// widened radius) or when no matcher judged it.
	Band string `json:"band,omitempty"`
	// FirstSeen and LastSeen are the earliest and latest capture times of
	// the same image URL on the same page among the matched images, and
	// Seen how many captures that is; set by the matcher.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	Seen      int       `json:"seen,omitempty"`
}

// Match bands of an ImageHit (DESIGN.md §3): a match is PDQ ≤ 31 with
// quality ≥ 50 on both sides, pHash64 ≤ 10 (≤ 8 through one of a query's
// crops), or an exact SHA-256 or MD5; the review band is PDQ 32–63 and
// pHash64 11–12 (9–12 through a crop).
const (
	BandMatch  = "match"
	BandReview = "review"
)

// Stats counts what an index holds.
type Stats struct {
	Documents int `json:"documents"`
	Findings  int `json:"findings"`
	Images    int `json:"images"`
}

// DocumentIndex stores captured documents and searches their text.
// PutDocuments is idempotent by Document.ID. Document returns an ENOTFOUND
// error for an unknown ID.
type DocumentIndex interface {
	PutDocuments(ctx context.Context, docs []Document) error
	Document(ctx context.Context, id string) (Document, error)
	Search(ctx context.Context, q Query) (SearchResult, error)
}

// FindingIndex stores findings and looks them up by kind and value.
// PutFindings is idempotent by Finding.ID.
type FindingIndex interface {
	PutFindings(ctx context.Context, findings []Finding) error
	Findings(ctx context.Context, q FindingQuery) (FindingResult, error)
}

// ImageIndex stores image hashes and answers exact Hamming-radius queries.
// PutImages is idempotent by Image.ID.
type ImageIndex interface {
	PutImages(ctx context.Context, images []Image) error
	MatchImages(ctx context.Context, q ImageQuery) ([]ImageHit, error)
}

// Store is a whole index: the embedded default or Elasticsearch. Methods are
// safe for concurrent use. An unreachable backend yields EUNAVAILABLE errors.
type Store interface {
	DocumentIndex
	FindingIndex
	ImageIndex
	Stats(ctx context.Context) (Stats, error)
	io.Closer
}

// CaptureStore keeps the raw bytes of captured responses, keyed by document ID.
// Put is idempotent; Get returns an ENOTFOUND error for an unknown ID.
type CaptureStore interface {
	PutCapture(ctx context.Context, documentID string, body []byte) error
	Capture(ctx context.Context, documentID string) ([]byte, error)
}
