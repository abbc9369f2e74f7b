package embedded_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"vigil"
	"vigil/store/embedded"
	"vigil/store/storetest"
)

func open(t testing.TB, dir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) vigil.Store { return open(t, t.TempDir()) })
}

func TestOpen(t *testing.T) {
	t.Run("an empty Dir is invalid", func(t *testing.T) {
		_, err := embedded.Open(embedded.Config{})
		if code := vigil.ErrorCode(err); code != vigil.EINVALID {
			t.Fatalf("error %v, want %s", err, vigil.EINVALID)
		}
	})
	t.Run("a Dir held by another store is unavailable", func(t *testing.T) {
		dir := t.TempDir()
		open(t, dir)
		s, err := embedded.Open(embedded.Config{Dir: dir})
		if code := vigil.ErrorCode(err); code != vigil.EUNAVAILABLE {
			if s != nil {
				s.Close()
			}
			t.Fatalf("second open: %v, want %s", err, vigil.EUNAVAILABLE)
		}
	})
	t.Run("a closed store is unavailable and closes twice harmlessly", func(t *testing.T) {
		s := open(t, t.TempDir())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := s.Search(t.Context(), vigil.Query{})
		if code := vigil.ErrorCode(err); code != vigil.EUNAVAILABLE {
			t.Fatalf("search after close: %v, want %s", err, vigil.EUNAVAILABLE)
		}
	})
}

func TestReopenSeesAllData(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	d := vigil.Document{ID: vigil.DocumentID("c", "http://a.onion/"), CrawlID: "c", Site: "a.onion", URL: "http://a.onion/", Text: "persistent words", CapturedAt: at}
	p := vigil.Page{DocumentID: d.ID, CrawlID: "c", Site: d.Site, URL: d.URL, CapturedAt: at}
	fs := []vigil.Finding{{Kind: vigil.KindTelegram, Value: "vendor"}}
	p.Stamp(fs)
	pdq := strings.Repeat("5a", 32)
	img := vigil.Image{ID: vigil.ImageID("c", d.URL, "http://a.onion/x.jpg"), PageURL: d.URL, CrawlID: "c", PDQ: pdq, SHA256: strings.Repeat("01", 32)}

	s := open(t, dir)
	must(t, s.PutDocuments(t.Context(), []vigil.Document{d}))
	must(t, s.PutFindings(t.Context(), fs))
	must(t, s.PutImages(t.Context(), []vigil.Image{img}))
	must(t, s.PutCapture(t.Context(), d.ID, []byte("<html>body</html>")))
	must(t, s.Close())

	s = open(t, dir)
	st, err := s.Stats(t.Context())
	must(t, err)
	if st != (vigil.Stats{Documents: 1, Findings: 1, Images: 1}) {
		t.Fatalf("stats after reopen %+v", st)
	}
	res, err := s.Search(t.Context(), vigil.Query{Text: "persistent", Kind: vigil.KindTelegram})
	must(t, err)
	if res.Total != 1 || res.Hits[0].Document.ID != d.ID {
		t.Fatalf("search after reopen: %+v", res)
	}
	near, _ := hex.DecodeString(pdq)
	near[0] ^= 0x0f
	hits, err := s.MatchImages(t.Context(), vigil.ImageQuery{Hashes: []vigil.QueryHash{{Algorithm: vigil.AlgoPDQ, Value: hex.EncodeToString(near)}}})
	must(t, err)
	if len(hits) != 1 || hits[0].Distance != 4 {
		t.Fatalf("match after reopen: %+v", hits)
	}
	b, err := s.Capture(t.Context(), d.ID)
	must(t, err)
	if string(b) != "<html>body</html>" {
		t.Fatalf("capture after reopen %q", b)
	}
}

func TestLostIndexIsRebuiltFromRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	var docs []vigil.Document
	var fs []vigil.Finding
	for i := range 2500 { // more than one rebuild batch
		url := "http://a.onion/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + hex.EncodeToString([]byte{byte(i >> 8), byte(i)})
		d := vigil.Document{ID: vigil.DocumentID("c", url), CrawlID: "c", Site: "a.onion", URL: url, Text: "rebuilt words", CapturedAt: time.Unix(int64(i), 0)}
		docs = append(docs, d)
		if i%5 == 0 {
			p := vigil.Page{DocumentID: d.ID, CrawlID: "c", Site: d.Site, URL: d.URL, CapturedAt: d.CapturedAt}
			f := []vigil.Finding{{Kind: vigil.KindEmail, Value: "x@y.z", Offset: i}}
			p.Stamp(f)
			fs = append(fs, f[0])
		}
	}
	must(t, s.PutDocuments(t.Context(), docs))
	must(t, s.PutFindings(t.Context(), fs))
	must(t, s.Close())
	must(t, os.RemoveAll(filepath.Join(dir, "docs.bleve")))

	s = open(t, dir)
	st, err := s.Stats(t.Context())
	must(t, err)
	if st != (vigil.Stats{Documents: 2500, Findings: 500}) {
		t.Fatalf("stats after rebuild %+v", st)
	}
	res, err := s.Search(t.Context(), vigil.Query{Text: "rebuilt", Kind: vigil.KindEmail})
	must(t, err)
	if res.Total != 500 {
		t.Fatalf("kind-filtered search after rebuild: total %d, want 500", res.Total)
	}
	if first := res.Hits[0].Document; first.ID != fs[len(fs)-1].DocumentID {
		t.Fatalf("newest hit after rebuild %s, want %s", first.URL, fs[len(fs)-1].URL)
	}
}

func TestIndexOfAnOlderVersionIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	d := vigil.Document{ID: vigil.DocumentID("c", "http://a.onion/"), CrawlID: "c", Site: "a.onion", URL: "http://a.onion/", Text: "before", CapturedAt: time.Unix(1, 0)}
	must(t, s.PutDocuments(t.Context(), []vigil.Document{d}))
	must(t, s.Close())
	// Change the record behind the index's back and mark the index old.
	db, err := bolt.Open(filepath.Join(dir, "vigil.db"), 0o600, nil)
	must(t, err)
	d.Text = "after"
	v, err := json.Marshal(d)
	must(t, err)
	must(t, db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("documents")).Put([]byte(d.ID), v); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("index_version"), []byte("0"))
	}))
	must(t, db.Close())

	s = open(t, dir)
	for word, want := range map[string]int{"after": 1, "before": 0} {
		res, err := s.Search(t.Context(), vigil.Query{Text: word})
		must(t, err)
		if res.Total != want {
			t.Errorf("search %q after rebuild: %d hits, want %d", word, res.Total, want)
		}
	}
}

func TestCaptures(t *testing.T) {
	t.Run("a half-written temporary file is removed at open and never read", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		id := vigil.DocumentID("c", "http://a.onion/")
		must(t, s.PutCapture(t.Context(), id, []byte("whole")))
		must(t, s.Close())
		stale := filepath.Join(dir, "captures", id[:2], ".tmp-123")
		must(t, os.WriteFile(stale, []byte("half"), 0o600))
		s = open(t, dir)
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Fatalf("stale temporary file survived open: %v", err)
		}
		b, err := s.Capture(t.Context(), id)
		must(t, err)
		if string(b) != "whole" {
			t.Fatalf("capture %q", b)
		}
	})
	t.Run("a different body replaces the capture", func(t *testing.T) {
		s := open(t, t.TempDir())
		id := vigil.DocumentID("c", "http://a.onion/")
		must(t, s.PutCapture(t.Context(), id, []byte("first")))
		must(t, s.PutCapture(t.Context(), id, []byte("second")))
		b, err := s.Capture(t.Context(), id)
		must(t, err)
		if string(b) != "second" {
			t.Fatalf("capture %q, want second", b)
		}
	})
	t.Run("SyncCaptures succeeds on an open store and is unavailable once closed", func(t *testing.T) {
		s := open(t, t.TempDir())
		must(t, s.PutCapture(t.Context(), vigil.DocumentID("c", "http://a.onion/"), []byte("x")))
		must(t, s.SyncCaptures(t.Context()))
		must(t, s.Close())
		if code := vigil.ErrorCode(s.SyncCaptures(t.Context())); code != vigil.EUNAVAILABLE {
			t.Fatalf("sync after close: code %q, want %s", code, vigil.EUNAVAILABLE)
		}
	})
	t.Run("IDs that could name other paths are invalid", func(t *testing.T) {
		s := open(t, t.TempDir())
		for _, id := range []string{"", "../x", "a/b", ".", "..", "a\x00", strings.Repeat("a", 129)} {
			err := s.PutCapture(t.Context(), id, []byte("x"))
			if code := vigil.ErrorCode(err); code != vigil.EINVALID {
				t.Errorf("put capture %q: %v, want %s", id, err, vigil.EINVALID)
			}
		}
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The embedded store can delete crawls, so the suite tests it.
var _ storetest.Purger = (*embedded.Store)(nil)
