package evidence

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"vigil"
)

// Files lists the files of a crawl in the archive d (WARC files, manifest,
// signature), sorted: what an analyst may download from an image store.
// An unknown crawl is an ENOTFOUND error.
func (d Dir) Files(crawlID string) ([]string, error) {
	if err := validCrawlID(crawlID); err != nil {
		return nil, vigil.Errorf(vigil.EINVALID, "%v", err)
	}
	ents, err := os.ReadDir(filepath.Join(string(d), crawlID))
	if os.IsNotExist(err) {
		return nil, vigil.Errorf(vigil.ENOTFOUND, "no files of crawl %s", crawlID)
	} else if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && storeFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Open opens one file of a crawl in d (a name Files lists) and returns its
// size. Other names are EINVALID, missing files ENOTFOUND.
func (d Dir) Open(crawlID, name string) (io.ReadCloser, int64, error) {
	if err := validCrawlID(crawlID); err != nil || !storeFile(name) || strings.ContainsAny(name, `/\`) {
		return nil, 0, vigil.Errorf(vigil.EINVALID, "no file %q of crawl %q", name, crawlID)
	}
	f, err := os.Open(filepath.Join(string(d), crawlID, name))
	if os.IsNotExist(err) {
		return nil, 0, vigil.Errorf(vigil.ENOTFOUND, "no file %s of crawl %s", name, crawlID)
	} else if err != nil {
		return nil, 0, fmt.Errorf("evidence: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("evidence: %w", err)
	}
	return f, st.Size(), nil
}

func storeFile(name string) bool {
	return strings.HasSuffix(name, ".warc.gz") || name == ManifestName || name == SignatureName || name == PublicKeyName
}
