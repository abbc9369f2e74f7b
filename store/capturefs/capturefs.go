// Package capturefs keeps raw captures (the bytes of crawled responses) as
// files in a directory, one per document ID, outside any index. It is the
// capture store of split deployments: crawl workers write captures to the
// shared volume and the API reads them, without opening the index.
//
// The layout is the embedded store's (store/embedded: <dir>/<first two
// characters of the ID>/<ID>), so with the embedded index the directory is
// DATA/index/captures and both read the same files.
package capturefs

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

// tempPrefix starts the names of capture files being written (CleanTemp
// removes such files left by a crash).
const tempPrefix = ".tmp-"

// Store is a directory of captures. Its methods are safe for concurrent use
// by several goroutines and processes: files are written to a temporary
// name and renamed into place, so a reader never sees a partial capture.
type Store struct {
	dir string
}

var _ vigil.CaptureStore = (*Store)(nil)

// Open returns the capture store in dir, creating dir if needed.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, vigil.Errorf(vigil.EINVALID, "capture store: a directory is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("capture store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file of a capture. IDs are limited to 1–128 ASCII
// letters, digits, '-' and '_', so that no ID can name a path outside the
// directory.
func (s *Store) Path(id string) (string, error) {
	if len(id) == 0 || len(id) > 128 {
		return "", vigil.Errorf(vigil.EINVALID, "invalid document ID %q", id)
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", vigil.Errorf(vigil.EINVALID, "invalid document ID %q", id)
		}
	}
	return filepath.Join(s.dir, id[:min(2, len(id))], id), nil
}

// PutCapture stores the raw body captured for a document; it is durable
// once SyncCaptures returns. Putting the same body again does nothing;
// putting a different one replaces it atomically. A bad ID is an EINVALID
// error.
func (s *Store) PutCapture(ctx context.Context, documentID string, body []byte) error {
	path, err := s.Path(documentID)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
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

// SyncCaptures makes every capture written so far durable: one syncfs(2)
// of the filesystem holding the directory.
func (s *Store) SyncCaptures(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := os.Open(s.dir)
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
	path, err := s.Path(documentID)
	if err != nil {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "capture %q not found", documentID)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "capture %s not found", documentID)
	} else if err != nil {
		return nil, fmt.Errorf("capture %s: %w", documentID, err)
	}
	return b, nil
}

// CleanTemp removes temporary files left by writes a crash interrupted. Call
// it only while no other process writes to the directory.
func (s *Store) CleanTemp() error {
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), tempPrefix) {
			return os.Remove(path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clean captures: %w", err)
	}
	return nil
}
