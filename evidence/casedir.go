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

// Dirs are evidence directories purged as one: a deployment's page archive
// and its image store (an Archive with KeepImages). Each method returns the
// union, or the sum, of its Dirs'.
type Dirs []Dir

// PurgeCase is Dir.PurgeCase on each of ds.
func (ds Dirs) PurgeCase(caseID string) ([]string, error) {
	return ds.each(func(d Dir) ([]string, error) { return d.PurgeCase(caseID) })
}

// PurgeCrawls is Dir.PurgeCrawls on each of ds.
func (ds Dirs) PurgeCrawls(crawlIDs []string) ([]string, error) {
	return ds.each(func(d Dir) ([]string, error) { return d.PurgeCrawls(crawlIDs) })
}

// CountCase is the sum of Dir.CountCase over ds.
func (ds Dirs) CountCase(caseID string, crawlIDs []string) (int, error) {
	total := 0
	for _, d := range ds {
		n, err := d.CountCase(caseID, crawlIDs)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (ds Dirs) each(f func(Dir) ([]string, error)) ([]string, error) {
	var all []string
	for _, d := range ds {
		ids, err := f(d)
		all = append(all, ids...)
		if err != nil {
			return all, err
		}
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}
