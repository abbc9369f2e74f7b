package crawlstate

import (
	"path/filepath"
	"testing"

	"vigil"
)

func TestBatchLifecycleSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := db.Start(Meta{CrawlID: "c"}, []Request{{URL: "http://a/"}, {URL: "http://a/"}, {URL: "http://a/x"}})
	if err != nil || q != 2 {
		t.Fatalf("start queued %d, %v; want 2 (duplicate seed dropped)", q, err)
	}
	if q, _ := db.Start(Meta{CrawlID: "c"}, []Request{{URL: "http://a/y"}}); q != 2 {
		t.Fatalf("restart changed the frontier: %d", q)
	}

	reqs, keys, err := db.Head("c", 1)
	if err != nil || len(reqs) != 1 || reqs[0].URL != "http://a/" {
		t.Fatalf("head = %v, %v", reqs, err)
	}
	seen := db.Seen("c")
	if seen.MarkNew("http://a/x") {
		t.Fatal("a seed URL was reported new")
	}
	if !seen.MarkNew("http://a/z") || seen.MarkNew("http://a/z") {
		t.Fatal("MarkNew is not check-and-mark")
	}
	doc := vigil.Document{ID: "d1", URL: "http://a/"}
	q, err = db.Commit("c", Batch{Number: 1, Taken: keys, Remaining: []Request{{URL: "http://a/z", Depth: 1}}, Seen: seen,
		Pending: []Pending{{Document: doc}}, Result: func(q int) any { return map[string]int{"pages": 1, "queued": q} }})
	if err != nil || q != 2 {
		t.Fatalf("commit queued %d, %v; want 2", q, err)
	}
	// Replaying the batch changes nothing.
	if q, err = db.Commit("c", Batch{Number: 1, Taken: keys, Remaining: []Request{{URL: "http://a/w"}}}); err != nil || q != 2 {
		t.Fatalf("replayed commit queued %d, %v", q, err)
	}
	db.Close()

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res map[string]int
	if ok, err := db.BatchResult("c", 1, &res); !ok || err != nil || res["pages"] != 1 || res["queued"] != 2 {
		t.Fatalf("batch result = %v %v %v", res, ok, err)
	}
	if db.Seen("c").MarkNew("http://a/z") {
		t.Fatal("a committed mark was lost on reopen")
	}
	reqs, _, _ = db.Head("c", 10)
	if len(reqs) != 2 || reqs[0].URL != "http://a/x" || reqs[1].URL != "http://a/z" {
		t.Fatalf("frontier after reopen = %v", reqs)
	}
	p, err := db.Pending("c", []string{"d1", "nope"})
	if err != nil || len(p) != 1 || p[0].Document.URL != "http://a/" {
		t.Fatalf("pending = %v, %v", p, err)
	}
	if err := db.Release("c", []string{"d1"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Pending("c", []string{"d1"}); len(p) != 0 {
		t.Fatal("released capture still pending")
	}
	if m, err := db.Meta("c"); err != nil || m.LastBatch != 1 {
		t.Fatalf("meta = %+v, %v", m, err)
	}
	if _, err := db.Meta("unknown"); vigil.ErrorCode(err) != vigil.ENOTFOUND {
		t.Fatalf("unknown crawl error = %v", err)
	}
}

// TestCommitCountsTheFrontierItLeaves takes every request of a frontier in
// one batch that finds nothing new: the batch must report an empty frontier
// (a stale count would make the workflow run an extra, empty batch).
func TestCommitCountsTheFrontierItLeaves(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Start(Meta{CrawlID: "c"}, []Request{{URL: "http://a/"}, {URL: "http://a/x"}}); err != nil {
		t.Fatal(err)
	}
	_, keys, err := db.Head("c", 10)
	if err != nil {
		t.Fatal(err)
	}
	var recorded int
	q, err := db.Commit("c", Batch{Number: 1, Taken: keys, Result: func(q int) any { recorded = q; return q }})
	if err != nil || q != 0 || recorded != 0 {
		t.Fatalf("commit of the whole frontier queued %d (recorded %d), %v; want 0", q, recorded, err)
	}
	q, err = db.Commit("c", Batch{Number: 2, Remaining: []Request{{URL: "http://a/y"}, {URL: "http://a/z"}, {URL: "http://a/w"}},
		Result: func(q int) any { return q }})
	if err != nil || q != 3 {
		t.Fatalf("commit of three new requests queued %d, %v; want 3", q, err)
	}
}
