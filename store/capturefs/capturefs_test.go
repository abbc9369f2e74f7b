package capturefs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
	"vigil/store/capturefs"
	"vigil/store/embedded"
)

func TestCaptures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := capturefs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a capture is read back, replaced atomically and synced", func(t *testing.T) {
		if err := s.PutCapture(ctx, "doc-1", []byte("<html>one</html>")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCapture(ctx, "doc-1", []byte("<html>two</html>")); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncCaptures(ctx); err != nil {
			t.Fatal(err)
		}
		if b, err := s.Capture(ctx, "doc-1"); err != nil || string(b) != "<html>two</html>" {
			t.Fatalf("capture = %q, %v", b, err)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "do"))
		if len(entries) != 1 {
			t.Fatalf("the capture directory holds %d files, want 1 (no temporary left)", len(entries))
		}
	})
	t.Run("hostile IDs are refused and name no path outside the directory", func(t *testing.T) {
		for _, id := range []string{"", "../../etc/passwd", "a/b", "a.b", strings.Repeat("x", 129), "é"} {
			if err := s.PutCapture(ctx, id, []byte("x")); vigil.ErrorCode(err) != vigil.EINVALID {
				t.Errorf("PutCapture(%q) = %v, want EINVALID", id, err)
			}
			if _, err := s.Capture(ctx, id); vigil.ErrorCode(err) != vigil.ENOTFOUND {
				t.Errorf("Capture(%q) = %v, want ENOTFOUND", id, err)
			}
		}
	})
	t.Run("an unknown capture is not found", func(t *testing.T) {
		if _, err := s.Capture(ctx, "nope"); vigil.ErrorCode(err) != vigil.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSameLayoutAsTheEmbeddedStore: a capture written here, in the
// embedded index's captures directory, is the capture the embedded store
// returns, so crawl workers can write captures that `vigil serve` reads
// without opening the index.
func TestSameLayoutAsTheEmbeddedStore(t *testing.T) {
	ctx := context.Background()
	index := t.TempDir()
	s, err := capturefs.Open(filepath.Join(index, "captures"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutCapture(ctx, "abc123", []byte("body")); err != nil {
		t.Fatal(err)
	}
	e, err := embedded.Open(embedded.Config{Dir: index})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if b, err := e.Capture(ctx, "abc123"); err != nil || string(b) != "body" {
		t.Fatalf("the embedded store read %q, %v", b, err)
	}
	if err := e.PutCapture(ctx, "xyz789", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Capture(ctx, "xyz789"); err != nil || string(b) != "other" {
		t.Fatalf("capturefs read %q, %v", b, err)
	}
}
