package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil"
)

// signedLog writes a signed log of n entries (a checkpoint every 16) and
// closes it, returning its path.
func signedLog(t *testing.T, key ed25519.PrivateKey, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := OpenSigned(path, Options{Key: key, Every: 16})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := l.Record(Entry{User: "alice", Action: "search", CaseID: "op-1", Query: map[string]string{"q": fmt.Sprintf("query %d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// rechain writes the entries of raw, with edit applied to each, as a new
// log with a fresh, valid hash chain: what someone with write access but
// without the key can do.
func rechain(t *testing.T, raw []byte, path string, edit func(*Entry)) {
	t.Helper()
	os.Remove(path)
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, _, err := walk(bytes.NewReader(raw), func(e Entry) {
		edit(&e)
		if err := l.Record(e); err != nil {
			t.Fatal(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointsVouchForTheHead(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	path := signedLog(t, key, 40)
	res, err := VerifySigned(path, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One at open (0 entries), at 16 and 32, and one at close (40).
	if res.Entries != 40 || res.Checkpoints != 4 || res.Unvouched != 0 || res.Last.Entries != 40 {
		t.Fatalf("verify = %+v; want 40 entries, 4 checkpoints, the last at 40", res)
	}
	l, err := OpenSigned(path, Options{Key: key})
	if err != nil {
		t.Fatalf("reopening an intact signed log: %v", err)
	}
	l.Record(Entry{User: "bob", Action: "crawl.start"})
	if res, err := VerifySigned(path, pub, nil); err != nil || res.Unvouched != 1 {
		t.Fatalf("a running log with one entry after its checkpoint: %+v, %v; want it intact with 1 unvouched", res, err)
	}
	l.Close()
}

func TestCheckpointsDetectTampering(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	orig := signedLog(t, key, 40)
	raw, _ := os.ReadFile(orig)
	cps, _ := os.ReadFile(CheckpointPath(orig))
	lines := bytes.SplitAfter(raw, []byte("\n"))
	mirrored, _, _ := LastCheckpoint(orig)
	_, otherKey, _ := ed25519.GenerateKey(nil)

	tests := []struct {
		name   string
		tamper func(t *testing.T, path string)
		want   string
	}{
		{"an edited line", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Replace(raw, []byte("query 7"), []byte("query X"), 1), 0o600)
		}, "breaks the chain"},
		{"a deleted tail", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Join(lines[:35], nil), 0o600)
		}, "entries were removed from its end"},
		{"a file truncated mid-line", func(t *testing.T, path string) {
			os.WriteFile(path, raw[:len(raw)/2], 0o600)
		}, "is not an entry"},
		{"a file truncated to nothing", func(t *testing.T, path string) {
			os.WriteFile(path, nil, 0o600)
		}, "entries were removed from its end"},
		{"a whole file rewritten with fresh hashes", func(t *testing.T, path string) {
			rechain(t, raw, path, func(e *Entry) {
				if e.Seq == 3 {
					e.Query["q"] = "something else"
				}
			})
		}, "the log was rewritten"},
		{"a rewrite with new checkpoints signed by another key", func(t *testing.T, path string) {
			rechain(t, raw[:0], path, func(*Entry) {})
			os.Remove(CheckpointPath(path))
			l, err := OpenSigned(path, Options{Key: otherKey})
			if err != nil {
				t.Fatal(err)
			}
			l.Record(Entry{User: "mallory", Action: "search"})
			l.Close()
		}, "not signed by the key"},
		{"a deleted checkpoint file", func(t *testing.T, path string) {
			os.Remove(CheckpointPath(path))
		}, "no signed checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is detected", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			os.WriteFile(path, raw, 0o600)
			os.WriteFile(CheckpointPath(path), cps, 0o600)
			tc.tamper(t, path)
			_, err := VerifySigned(path, pub, nil)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify = %v; want ErrTampered saying %q", err, tc.want)
			}
			if tc.name != "a deleted checkpoint file" {
				if _, err := OpenSigned(path, Options{Key: key}); !errors.Is(err, ErrTampered) {
					t.Fatalf("open = %v; want the tampered log refused", err)
				}
			}
		})
	}

	t.Run("a tail cut back to an earlier checkpoint is caught by a mirrored checkpoint", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.log")
		os.WriteFile(path, bytes.Join(lines[:32], nil), 0o600)
		cpLines := bytes.SplitAfter(cps, []byte("\n"))
		os.WriteFile(CheckpointPath(path), bytes.Join(cpLines[:3], nil), 0o600) // open, 16, 32
		if _, err := VerifySigned(path, pub, nil); err != nil {
			t.Fatalf("without the mirror the cut is consistent: %v", err)
		}
		_, err := VerifySigned(path, pub, []vigil.AuditCheckpoint{mirrored})
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "mirrored in an evidence manifest") {
			t.Fatalf("verify with the manifest's checkpoint = %v; want ErrTampered", err)
		}
	})
}
