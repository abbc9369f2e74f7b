package crawlstate

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"vigil"
)

// TestSharedHandlesTakeTurns stands in for a split deployment: a crawl
// worker commits batches through one shared handle while a processing worker
// reads and releases the pending captures of earlier batches through
// another, concurrently (each handle opens the file per transaction, as
// separate processes do). Every batch's captures are indexed exactly once,
// and a third handle, opened afterwards like a replacement worker, sees the
// committed frontier, seen set and batch results.
func TestSharedHandlesTakeTurns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crawlstate.db")
	crawlW, err := OpenShared(path)
	if err != nil {
		t.Fatal(err)
	}
	procW, err := OpenShared(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crawlW.Start(Meta{CrawlID: "c"}, []Request{{URL: "http://a/0"}}); err != nil {
		t.Fatal(err)
	}
	const batches = 20
	ready := make(chan []string, batches)
	released := map[string]int{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ids := range ready {
			p, err := procW.Pending("c", ids)
			if err != nil {
				t.Error(err)
				return
			}
			for _, c := range p {
				released[c.Document.ID]++
			}
			if err := procW.Release("c", ids); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for b := 1; b <= batches; b++ {
		_, keys, err := crawlW.Head("c", 1)
		if err != nil {
			t.Fatal(err)
		}
		seen := crawlW.Seen("c")
		next := fmt.Sprintf("http://a/%d", b)
		if !seen.MarkNew(next) || seen.MarkNew(fmt.Sprintf("http://a/%d", b-1)) {
			t.Fatalf("batch %d: the seen set is wrong", b)
		}
		id := fmt.Sprintf("d%d", b)
		if _, err := crawlW.Commit("c", Batch{Number: b, Taken: keys, Remaining: []Request{{URL: next}}, Seen: seen,
			Pending: []Pending{{Document: vigil.Document{ID: id, URL: next}}}, Result: func(q int) any { return q }}); err != nil {
			t.Fatal(err)
		}
		ready <- []string{id}
	}
	close(ready)
	wg.Wait()
	if len(released) != batches {
		t.Fatalf("%d captures were read before release, want %d", len(released), batches)
	}
	for id, n := range released {
		if n != 1 {
			t.Fatalf("capture %s read %d times", id, n)
		}
	}

	replacement, err := OpenShared(path)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := replacement.Meta("c"); err != nil || m.LastBatch != batches {
		t.Fatalf("meta = %+v, %v", m, err)
	}
	reqs, _, err := replacement.Head("c", 10)
	if err != nil || len(reqs) != 1 || reqs[0].URL != fmt.Sprintf("http://a/%d", batches) {
		t.Fatalf("frontier = %v, %v", reqs, err)
	}
	var q int
	if ok, err := replacement.BatchResult("c", batches, &q); !ok || err != nil || q != 1 {
		t.Fatalf("batch result = %d %v %v", q, ok, err)
	}
	if p, err := replacement.Pending("c", []string{"d1", fmt.Sprintf("d%d", batches)}); err != nil || len(p) != 0 {
		t.Fatalf("released captures still pending: %v, %v", p, err)
	}
}
