package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"vigil"
)

// tempPrefix starts the names of capture files being written.
const tempPrefix = ".tmp-"

// capturePath returns the file of a capture: captures/<first two
// characters>/<id>. IDs are limited to 1–128 ASCII letters, digits, '-' and
// '_', so that no ID can name a path outside the directory.
func (s *Store) capturePath(id string) (string, error) {
	if len(id) == 0 || len(id) > 128 {
		return "", vigil.Errorf(vigil.EINVALID, "invalid document ID %q", id)
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", vigil.Errorf(vigil.EINVALID, "invalid document ID %q", id)
		}
	}
	prefix := id[:min(2, len(id))]
	return filepath.Join(s.captures, prefix, id), nil
}

// PutCapture stores the raw body captured for a document. The body is
// written to a temporary file and renamed into place, so readers never see a
// partial file; it is durable once SyncCaptures returns (one filesystem sync
// per batch instead of one fsync per page). Putting the same body again does
// nothing; putting a different one replaces it atomically (last write wins).
// IDs other than 1–128 letters, digits, '-' and '_' are EINVALID errors.
func (s *Store) PutCapture(ctx context.Context, documentID string, body []byte) error {
	path, err := s.capturePath(documentID)
	if err != nil {
		return err
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, body) {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("put capture %s: %w", documentID, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("put capture %s: %w", documentID, err)
	}
	tmp := f.Name()
	_, werr := f.Write(body)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("put capture %s: %w", documentID, werr)
	}
	return nil
}

// SyncCaptures makes every capture written so far durable: one syncfs(2) of
// the filesystem that holds them (files and renames alike). Callers sync
// before recording that a batch's captures exist.
func (s *Store) SyncCaptures(ctx context.Context) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	d, err := os.Open(s.captures)
	if err != nil {
		return fmt.Errorf("sync captures: %w", err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("sync captures: %w", err)
	}
	return nil
}

// Capture returns the raw body captured for a document, or an ENOTFOUND
// error.
func (s *Store) Capture(ctx context.Context, documentID string) ([]byte, error) {
	path, err := s.capturePath(documentID)
	if err != nil {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "capture %q not found", documentID)
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "capture %s not found", documentID)
	} else if err != nil {
		return nil, fmt.Errorf("capture %s: %w", documentID, err)
	}
	return b, nil
}

// cleanTemp removes temporary files left by writes a crash interrupted.
func cleanTemp(root string) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), tempPrefix) {
			return os.Remove(path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded store: clean captures: %w", err)
	}
	return nil
}
