package evidence

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Dir is an evidence directory (an Archive's Dir) as a case purge sees it:
// PurgeCase and PurgeCrawls are the package's functions of the same names
// on it, CountCase counts what is left.
type Dir string

// PurgeCase is PurgeCase(d, caseID).
func (d Dir) PurgeCase(caseID string) ([]string, error) { return PurgeCase(string(d), caseID) }

// PurgeCrawls is PurgeCrawls(d, crawlIDs).
func (d Dir) PurgeCrawls(crawlIDs []string) ([]string, error) {
	return PurgeCrawls(string(d), crawlIDs)
}

// CountCase counts the entries of d that hold evidence of a case: those
// named in crawlIDs and the crawl directories whose manifest names caseID.
// A missing directory holds none.
func (d Dir) CountCase(caseID string, crawlIDs []string) (int, error) {
	ents, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if slices.Contains(crawlIDs, e.Name()) {
			n++
		} else if m, _, err := ReadManifest(filepath.Join(string(d), e.Name())); err == nil && m.CaseID == caseID {
			n++
		}
	}
	return n, nil
}
