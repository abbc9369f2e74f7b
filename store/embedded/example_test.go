package embedded_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"vigil"
	"vigil/store/embedded"
)

func Example() {
	dir, err := os.MkdirTemp("", "vigil-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	page := vigil.Page{
		CrawlID: "crawl-1", Site: "forum.onion", URL: "http://forum.onion/t/1",
		CapturedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Text:       "New girls in town. Call +1 415 555 0123 for bookings.",
	}
	page.DocumentID = vigil.DocumentID(page.CrawlID, page.URL)
	findings := []vigil.Finding{{Kind: vigil.KindPhone, Value: "+14155550123", Offset: 24}}
	page.Stamp(findings)
	// Findings first: the document is then indexed once, with its kinds.
	if err := s.PutFindings(ctx, findings); err != nil {
		log.Fatal(err)
	}
	doc := vigil.Document{ID: page.DocumentID, CrawlID: page.CrawlID, Site: page.Site, URL: page.URL, Text: page.Text, CapturedAt: page.CapturedAt}
	if err := s.PutDocuments(ctx, []vigil.Document{doc}); err != nil {
		log.Fatal(err)
	}

	res, err := s.Search(ctx, vigil.Query{Text: "bookings", Kind: vigil.KindPhone})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Total, res.Hits[0].Document.URL, res.Facets["kind"])
	fmt.Println(res.Hits[0].Snippet)

	pivot, err := s.Findings(ctx, vigil.FindingQuery{Value: "+14155550123"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pivot.Total, pivot.Findings[0].Site)
	// Output:
	// 1 http://forum.onion/t/1 [{phone 1}]
	// New girls in town. Call +1 415 555 0123 for bookings.
	// 1 forum.onion
}
