package watchlist

import (
	"fmt"
	"io"
	"sync"

	"vigil"
)

// Shared is the watchlist database at Path for processes that share one
// data volume (the API and processing workers of a split deployment): each
// call opens the file, does its work and closes it again, so the processes
// take turns (a bbolt file admits one process at a time; Open waits up to
// its timeout for the file). Each call loads the lists into memory: fine for
// lists of thousands of hashes checked once a crawl batch. Calls through one
// Shared are serialised; a Shared is safe for concurrent use.
type Shared struct {
	Path string

	mu sync.Mutex
}

// with runs fn on the database opened for this call and closes it.
func (s *Shared) with(fn func(*DB) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	db, err := Open(s.Path)
	if err != nil {
		return err
	}
	ferr := fn(db)
	if err := db.Close(); ferr == nil && err != nil {
		ferr = fmt.Errorf("close watchlist db: %w", err)
	}
	return ferr
}

// Lists is DB.Lists.
func (s *Shared) Lists() (out []vigil.Watchlist, err error) {
	err = s.with(func(db *DB) error { out, err = db.Lists(); return err })
	return out, err
}

// ImportFile is DB.ImportFile.
func (s *Shared) ImportFile(name string, r io.Reader) (res vigil.WatchlistImport, err error) {
	err = s.with(func(db *DB) error { res, err = db.ImportFile(name, r); return err })
	return res, err
}

// Alerts is DB.Alerts.
func (s *Shared) Alerts(limit int) (out []vigil.Alert, err error) {
	err = s.with(func(db *DB) error { out, err = db.Alerts(limit); return err })
	return out, err
}

// Check is DB.Check.
func (s *Shared) Check(images []vigil.Image) (out []vigil.Alert, err error) {
	err = s.with(func(db *DB) error { out, err = db.Check(images); return err })
	return out, err
}

// PurgeCase is DB.PurgeCase: it deletes the alerts of a case.
func (s *Shared) PurgeCase(caseID string) (n int, err error) {
	err = s.with(func(db *DB) error { n, err = db.PurgeCase(caseID); return err })
	return n, err
}

// CaseAlerts is DB.CaseAlerts: it counts the alerts of a case.
func (s *Shared) CaseAlerts(caseID string) (n int, err error) {
	err = s.with(func(db *DB) error { n, err = db.CaseAlerts(caseID); return err })
	return n, err
}
