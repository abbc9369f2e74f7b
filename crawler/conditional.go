package crawler

import (
	"bytes"
	"context"
	"fmt"
	"net/url"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html/charset"
)

// Revalidator gives a crawl what it needs for conditional requests: the
// validators of a page's last capture, and that capture's body when the
// server answers 304 Not Modified. It is called from several goroutines.
type Revalidator interface {
	// Validators returns the ETag and Last-Modified of the last capture of
	// url ("" for none); the request then carries If-None-Match and
	// If-Modified-Since.
	Validators(url string) (etag, lastModified string)
	// Cached returns the body and content type of that capture. An error
	// makes the crawler fetch the page again without conditions.
	Cached(ctx context.Context, url string) (body []byte, contentType string, err error)
}

// parseHTML parses raw as HTML declared as contentType (charset decoded to
// UTF-8), with base as the document URL.
func parseHTML(raw []byte, contentType string, base *url.URL) (*goquery.Document, error) {
	r, err := charset.NewReader(bytes.NewReader(raw), contentType)
	if err != nil {
		r = bytes.NewReader(raw)
	}
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	doc.Url = base
	return doc, nil
}
