package vigil

import "time"

// Page is what extractors see of a captured document: its visible text and
// the URLs it links to. Findings' offsets are byte offsets into Text.
type Page struct {
	DocumentID string     `json:"document_id,omitempty"`
	CrawlID    string     `json:"crawl_id,omitempty"`
	CaseID     string     `json:"case_id,omitempty"`
	Site       string     `json:"site,omitempty"`
	URL        string     `json:"url,omitempty"`
	CapturedAt time.Time  `json:"captured_at,omitzero"`
	Title      string     `json:"title,omitempty"`
	Text       string     `json:"text"`            // visible text; block elements end with a newline
	Links      []string   `json:"links,omitempty"` // href values as written (resolved when possible)
	Attrs      []PageAttr `json:"attrs,omitempty"` // attribute values a reader sees, in document order
}

// PageAttr is the value of an attribute that a reader sees although it is
// not in the visible text: an element's title (shown on hover), an image's
// alt text (shown in its place), the value of a text field.
type PageAttr struct {
	Name  string `json:"name"` // AttrTitle, AttrAlt or AttrValue
	Value string `json:"value"`
}

// Names of the attributes in PageAttr, and of a link target in
// Finding.Attr.
const (
	AttrTitle = "title"
	AttrAlt   = "alt"
	AttrValue = "value"
	AttrHref  = "href"
)

// Extractor finds contacts in a page. Implementations are pure (no I/O), safe
// for concurrent use, and fill Kind, Value, Offset and Snippet; the caller
// stamps provenance with (*Page).Stamp.
type Extractor interface {
	Extract(p *Page) []Finding
}

// Stamp fills the provenance fields and the deterministic ID of findings
// extracted from p.
func (p *Page) Stamp(fs []Finding) {
	for i := range fs {
		f := &fs[i]
		f.DocumentID, f.CrawlID, f.CaseID = p.DocumentID, p.CrawlID, p.CaseID
		f.Site, f.URL, f.CapturedAt = p.Site, p.URL, p.CapturedAt
		f.ID = FindingID(p.DocumentID, f.Kind, f.Value, f.Offset)
	}
}
