package contacts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"vigil"
	"vigil/extractors/htmltext"
)

// benchPages returns the corpus pages concatenated in groups of about 20 KB,
// the page size DESIGN.md measures against.
func benchPages(b *testing.B) [][]byte {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.html"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no corpus: %v", err)
	}
	var pages [][]byte
	var cur bytes.Buffer
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		cur.Write(raw)
		if cur.Len() >= 20<<10 {
			pages = append(pages, bytes.Clone(cur.Bytes()))
			cur.Reset()
		}
	}
	return pages
}

func totalSize(pages [][]byte) int64 {
	var n int64
	for _, p := range pages {
		n += int64(len(p))
	}
	return n
}

// BenchmarkGoqueryParseOnly is the baseline: the parse colly does anyway.
func BenchmarkGoqueryParseOnly(b *testing.B) {
	pages := benchPages(b)
	b.SetBytes(totalSize(pages))
	for b.Loop() {
		for _, p := range pages {
			if _, err := goquery.NewDocumentFromReader(bytes.NewReader(p)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkExtract is what a crawl adds to colly's parse: text from the
// parsed document, then every contact kind. MB/s are of HTML.
func BenchmarkExtract(b *testing.B) {
	pages := benchPages(b)
	docs := make([]*goquery.Document, len(pages))
	for i, p := range pages {
		docs[i], _ = goquery.NewDocumentFromReader(bytes.NewReader(p))
	}
	e := New(Config{})
	b.SetBytes(totalSize(pages))
	for b.Loop() {
		for _, d := range docs {
			e.Extract(htmltext.FromDocument(d, "http://x.example/"))
		}
	}
}

// BenchmarkParseAndExtract is the offline path (vigil extract): stream
// tokenizing plus every contact kind, no tree.
func BenchmarkParseAndExtract(b *testing.B) {
	pages := benchPages(b)
	e := New(Config{})
	b.SetBytes(totalSize(pages))
	for b.Loop() {
		for _, p := range pages {
			pg, err := htmltext.Parse(bytes.NewReader(p), "http://x.example/")
			if err != nil {
				b.Fatal(err)
			}
			e.Extract(pg)
		}
	}
}

// BenchmarkExtractText is the contact scan alone, on text already extracted.
func BenchmarkExtractText(b *testing.B) {
	pages := benchPages(b)
	var ps []*vigil.Page
	var n int64
	for _, p := range pages {
		pg, _ := htmltext.Parse(bytes.NewReader(p), "")
		ps = append(ps, pg)
		n += int64(len(pg.Text))
	}
	e := New(Config{})
	b.SetBytes(n)
	for b.Loop() {
		for _, p := range ps {
			e.Extract(p)
		}
	}
}

// BenchmarkExtractProse is the contact scan on 20 KB of plain prose with few
// anchors, the common case on a forum.
func BenchmarkExtractProse(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog at noon; posted 2024-01-05, 3 replies.\n", 250)
	p := &vigil.Page{Text: text}
	e := New(Config{})
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		e.Extract(p)
	}
}
