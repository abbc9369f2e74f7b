// Package atomicfile replaces a small file in one step: readers see the old
// content or the new, never a partial write, and the new content is on disk
// when Write returns.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to a temporary file (mode 0600) beside path, syncs it
// and renames it over path.
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}
