// Package vigil is the domain vocabulary of Vigil: the documents a crawl
// captures, the findings extractors pull from them, the image hashes and the
// watchlist alerts raised on them, the queries the stores answer (validated
// once, by their Plan methods, for every store), and the few interfaces that
// several packages share (the index stores).
//
// Every other package imports this one; it imports none of them.
package vigil

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Kind is the kind of a contact finding. The normalised value of each kind is
// described in DESIGN.md §4.
type Kind string

// The contact kinds.
const (
	KindEmail    Kind = "email"    // lower-case local@domain
	KindPhone    Kind = "phone"    // E.164
	KindWhatsApp Kind = "whatsapp" // E.164
	KindTelegram Kind = "telegram" // lower-case username without @
	KindSignal   Kind = "signal"
	KindSession  Kind = "session"
	KindWickr    Kind = "wickr"
	KindDiscord  Kind = "discord"
	KindSnapchat Kind = "snapchat"
	KindKik      Kind = "kik"
	KindWeChat   Kind = "wechat"
	KindBTC      Kind = "btc"   // as written, checksum valid
	KindETH      Kind = "eth"   // lower-case 0x + 40 hex
	KindXMR      Kind = "xmr"   // as written, checksum valid
	KindTRX      Kind = "trx"   // as written, base58check valid
	KindOnion    Kind = "onion" // lower-case v3 host
	KindPGP      Kind = "pgp"   // upper-case 40-hex fingerprint
)

// Document is one captured page. Its ID is deterministic (see DocumentID), so
// capturing the same URL twice in one crawl yields the same document.
type Document struct {
	ID          string    `json:"id"`
	CrawlID     string    `json:"crawl_id"`
	CaseID      string    `json:"case_id,omitempty"`
	Site        string    `json:"site"` // host[:port] of the page
	URL         string    `json:"url"`
	Status      int       `json:"status"`
	ContentType string    `json:"content_type,omitempty"`
	Title       string    `json:"title,omitempty"`
	Text        string    `json:"text,omitempty"` // visible text, used for full-text search
	Depth       int       `json:"depth"`
	Size        int       `json:"size"`   // bytes of the body as received
	SHA256      string    `json:"sha256"` // hex SHA-256 of the body as received
	CapturedAt  time.Time `json:"captured_at"`
	// WARCFile and WARCOffset locate the capture's WARC response record when
	// evidence archiving is on: the file's base name in the crawl's evidence
	// directory and the offset of the record's gzip member (package evidence).
	WARCFile   string `json:"warc_file,omitempty"`
	WARCOffset int64  `json:"warc_offset,omitempty"`
}

// Finding is one contact found in a document, with its provenance.
type Finding struct {
	ID         string    `json:"id"`
	Kind       Kind      `json:"kind"`
	Value      string    `json:"value"` // normalised (DESIGN.md §4)
	DocumentID string    `json:"document_id,omitempty"`
	CrawlID    string    `json:"crawl_id,omitempty"`
	CaseID     string    `json:"case_id,omitempty"`
	Site       string    `json:"site,omitempty"`
	URL        string    `json:"url,omitempty"`
	CapturedAt time.Time `json:"captured_at,omitzero"`
	Offset     int       `json:"offset"`  // byte offset of the match in the extractor's input text
	Snippet    string    `json:"snippet"` // short text around the match
	// Attr says where the value was read when it was not in the page's
	// visible text: "href" for a link target, or the name of an attribute
	// a reader sees (see PageAttr). Offset is then -1 and Snippet is the
	// link or the attribute's value. Empty for the visible text.
	Attr string `json:"attr,omitempty"`
}

// Image is the record of one image seen on a page. Only hashes and metadata are
// kept; the bytes are dropped after hashing unless a deployment opts in.
type Image struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`      // the image's URL
	PageURL    string    `json:"page_url"` // the page that embedded it
	DocumentID string    `json:"document_id,omitempty"`
	CrawlID    string    `json:"crawl_id,omitempty"`
	CaseID     string    `json:"case_id,omitempty"`
	Site       string    `json:"site,omitempty"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	Size       int       `json:"size"`
	SHA256     string    `json:"sha256"`
	MD5        string    `json:"md5"`
	PDQ        string    `json:"pdq,omitempty"` // 64 hex digits; empty when not computed
	PDQQuality int       `json:"pdq_quality"`
	PHash      string    `json:"phash"` // 16 hex digits (goimagehash PerceptionHash)
	CapturedAt time.Time `json:"captured_at"`
}

// DocumentID is the deterministic ID of the capture of url in crawl crawlID.
// A retried activity that captures the same page again writes the same ID.
func DocumentID(crawlID, url string) string { return hashID("doc", crawlID, url) }

// FindingID is the deterministic ID of a finding in a document.
func FindingID(documentID string, kind Kind, value string, offset int) string {
	return hashID("finding", documentID, string(kind), value, strconv.Itoa(offset))
}

// ImageID is the deterministic ID of an image seen on a page of a crawl.
func ImageID(crawlID, pageURL, imageURL string) string {
	return hashID("image", crawlID, pageURL, imageURL)
}

func hashID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
