package templates

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"vigil/extractors/contacts"
	"vigil/extractors/htmltext"
	"vigil/internal/demo"
)

type benchPage struct {
	url  string
	html []byte
}

// demoBenchPages is every second page of the default demo site: threads,
// boards, profiles, listings, categories and vendors, all matched by the
// demo templates.
func demoBenchPages(b *testing.B) []benchPage {
	site := demo.New(demo.Config{})
	var out []benchPage
	for i, p := range site.Pages() {
		if i%2 == 0 {
			h, _ := site.Page(p)
			out = append(out, benchPage{demoBase + p, h})
		}
	}
	return out
}

// corpusBenchPages is the contacts corpus (contact-heavy pages), at URLs no
// template matches.
func corpusBenchPages(b *testing.B) []benchPage {
	files, err := filepath.Glob("../../testdata/extract/corpus/*.html")
	if err != nil || len(files) == 0 {
		b.Fatalf("no corpus: %v", err)
	}
	var out []benchPage
	for _, f := range files {
		h, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchPage{"http://corpus.example/" + filepath.Base(f), h})
	}
	return out
}

// BenchmarkExtractPipeline measures, on the same pages and in the same run,
// goquery's parse (which colly does anyway) and everything a crawl adds to
// it: htmltext.FromDocument, contacts.Extract and the site templates'
// Apply. It reports both throughputs in MB/s of HTML on one goroutine and
// "ratio", the extraction's time over the parse's: the figure to watch.
func BenchmarkExtractPipeline(b *testing.B) {
	set := loadDemo(b)
	ex := contacts.New(contacts.Config{})
	for _, c := range []struct {
		name  string
		pages func(*testing.B) []benchPage
	}{{"demo", demoBenchPages}, {"corpus", corpusBenchPages}} {
		b.Run(c.name, func(b *testing.B) {
			pages := c.pages(b)
			var size int64
			for _, p := range pages {
				size += int64(len(p.html))
			}
			docs := make([]*goquery.Document, len(pages))
			var parse, extract time.Duration
			rounds := 0
			for b.Loop() {
				t0 := time.Now()
				for i, p := range pages {
					d, err := goquery.NewDocumentFromReader(bytes.NewReader(p.html))
					if err != nil {
						b.Fatal(err)
					}
					docs[i] = d
				}
				t1 := time.Now()
				for i, p := range pages {
					ex.Extract(htmltext.FromDocument(docs[i], p.url))
					if _, err := set.Apply(docs[i], p.url); err != nil {
						b.Fatal(err)
					}
				}
				extract += time.Since(t1)
				parse += t1.Sub(t0)
				rounds++
			}
			mb := float64(size) * float64(rounds) / 1e6
			b.ReportMetric(mb/parse.Seconds(), "parse-MB/s")
			b.ReportMetric(mb/extract.Seconds(), "extract-MB/s")
			b.ReportMetric(extract.Seconds()/parse.Seconds(), "ratio")
			b.ReportMetric(float64(size)/1e6, "MB/op")
		})
	}
}

// BenchmarkExtractTemplatesOnly is Apply alone on parsed demo pages.
func BenchmarkExtractTemplatesOnly(b *testing.B) {
	set := loadDemo(b)
	pages := demoBenchPages(b)
	var size int64
	docs := make([]*goquery.Document, len(pages))
	for i, p := range pages {
		docs[i] = parseHTML(b, p.html)
		size += int64(len(p.html))
	}
	b.SetBytes(size)
	for b.Loop() {
		for i, p := range pages {
			if _, err := set.Apply(docs[i], p.url); err != nil {
				b.Fatal(err)
			}
		}
	}
}
