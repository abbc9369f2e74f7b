package crawlstate

import (
	"fmt"
	"path/filepath"
	"testing"

	"vigil"
)

// BenchmarkBatchLookups measures the state lookups of one crawl batch of
// 250 pages that discover 5,000 links (half of them seen before) in a crawl
// of 10,000 committed URLs: MarkNew per link, LastContent per page. It
// compares a DB held open (vigil up) with a shared one that opens the file
// for each transaction (vigil worker, vigil serve).
func BenchmarkBatchLookups(b *testing.B) {
	for _, mode := range []struct {
		name string
		open func(string) (*DB, error)
	}{{"held", Open}, {"shared", OpenShared}} {
		b.Run(mode.name, func(b *testing.B) {
			db, err := mode.open(filepath.Join(b.TempDir(), "crawlstate.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Start(Meta{CrawlID: "c"}, nil); err != nil {
				b.Fatal(err)
			}
			const n = 10000
			seen := db.Seen("c")
			var pending []Pending
			for i := 0; i < n; i++ {
				u := fmt.Sprintf("http://a.onion/page/%d", i)
				seen.MarkNew(u)
				pending = append(pending, Pending{Document: vigil.Document{ID: fmt.Sprintf("d%d", i), URL: u, SHA256: "x"}})
			}
			if _, err := db.Commit("c", Batch{Number: 1, Seen: seen, Pending: pending, Result: func(int) any { return nil }}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := db.Seen("c")
				for j := 0; j < 5000; j++ {
					s.MarkNew(fmt.Sprintf("http://a.onion/page/%d", n/2+j))
				}
				for j := 0; j < 250; j++ {
					if _, _, err := db.LastContent(fmt.Sprintf("http://a.onion/page/%d", j)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
