package watchlist

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"vigil"
)

// TestSharedTakesTurnsOnOneFile: two Shared on one file (as the API and a
// processing worker on one volume) see each other's lists and alerts, raise
// each alert once when they check concurrently, and hold the file only
// during a call.
func TestSharedTakesTurnsOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "watchlist.db")
	api, worker := &Shared{Path: path}, &Shared{Path: path}
	if res, err := api.ImportFile("victims", strings.NewReader("algorithm,hash,label\nphash,"+phashA+",x\n")); err != nil || res.Added != 1 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	if ls, err := worker.Lists(); err != nil || len(ls) != 1 || ls[0].Name != "victims" {
		t.Fatalf("the other Shared lists %+v, %v; want the imported list", ls, err)
	}

	var images []vigil.Image
	for i := range 20 {
		images = append(images, vigil.Image{ID: fmt.Sprint("img", i), CaseID: "case-1", PHash: flip(phashA, i%5)})
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for i := range 4 {
		s := api
		if i%2 == 1 {
			s = worker
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := s.Check(images)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += len(a)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != len(images) {
		t.Fatalf("%d alerts raised by 4 concurrent checks through two Shared; want %d", total, len(images))
	}
	if all, err := api.Alerts(0); err != nil || len(all) != len(images) {
		t.Fatalf("alerts = %d, %v; want %d", len(all), err, len(images))
	}

	t.Run("the file is free between calls", func(t *testing.T) {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if n, err := db.CaseAlerts("case-1"); err != nil || n != len(images) {
			t.Fatalf("case alerts read directly = %d, %v; want %d", n, err, len(images))
		}
	})

	t.Run("a case purge goes through either Shared", func(t *testing.T) {
		if n, err := worker.PurgeCase("case-1"); err != nil || n != len(images) {
			t.Fatalf("purge = %d, %v; want %d", n, err, len(images))
		}
		if n, err := api.CaseAlerts("case-1"); err != nil || n != 0 {
			t.Fatalf("case alerts after the purge = %d, %v; want 0", n, err)
		}
	})
}
