package vigil

import (
	"strconv"
	"time"
)

// Record is one structured item that a site template extracted from a page:
// a thread, a post, a listing, a vendor profile and the like. Fields holds the
// template's named values, normalised as the template says (a price field
// "price" comes with "price_currency", an ISO code; times are RFC 3339 UTC);
// empty values are left out.
type Record struct {
	ID              string            `json:"id,omitempty"`
	Type            string            `json:"type"`  // board, thread, post, profile, category, listing, vendor, feedback, …
	Index           int               `json:"index"` // position among the page's records; 0 is the page's own record when it has one
	Fields          map[string]string `json:"fields"`
	Template        string            `json:"template"`
	TemplateVersion int               `json:"template_version"`
	DocumentID      string            `json:"document_id,omitempty"`
	CrawlID         string            `json:"crawl_id,omitempty"`
	CaseID          string            `json:"case_id,omitempty"`
	Site            string            `json:"site,omitempty"`
	URL             string            `json:"url,omitempty"`
	CapturedAt      time.Time         `json:"captured_at,omitzero"`
}

// TemplateDrift reports that a page matched a site template's URL rule but
// yielded nothing for some of the fields the rule requires: the site was
// probably redesigned and its template needs an update. Missing names the
// fields as the template does ("title", "post", "post.author").
type TemplateDrift struct {
	Template string   `json:"template"`
	Version  int      `json:"version"`
	Site     string   `json:"site"`
	Expect   string   `json:"expect"` // the page kind the rule expects (thread, listing, …)
	Missing  []string `json:"missing"`
}

// RecordID is the deterministic ID of the record at index i of a document.
func RecordID(documentID string, i int) string {
	return hashID("record", documentID, strconv.Itoa(i))
}

// StampRecords fills the provenance fields and the deterministic ID of
// records extracted from p.
func (p *Page) StampRecords(rs []Record) {
	for i := range rs {
		r := &rs[i]
		r.DocumentID, r.CrawlID, r.CaseID = p.DocumentID, p.CrawlID, p.CaseID
		r.Site, r.URL, r.CapturedAt = p.Site, p.URL, p.CapturedAt
		r.ID = RecordID(p.DocumentID, r.Index)
	}
}
