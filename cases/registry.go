// Package cases keeps the case registry (which cases exist and how long
// their data is kept), makes every crawl and schedule belong to a case, and
// purges a case's data from every place that holds it: by hand (`vigil case
// purge`) or when its retention ends (Sweeper).
package cases

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"vigil"
	"vigil/internal/atomicfile"
)

// Registry is the case registry: one JSON file, rewritten atomically on
// every change (a temporary file, fsync, rename). It is safe for concurrent
// use within one process; one process owns the file.
type Registry struct {
	path  string
	mu    sync.Mutex
	cases map[string]vigil.Case
}

// OpenRegistry reads the registry at path, or starts an empty one if the
// file does not exist yet.
func OpenRegistry(path string) (*Registry, error) {
	r := &Registry{path: path, cases: map[string]vigil.Case{}}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	} else if err != nil {
		return nil, fmt.Errorf("case registry: %w", err)
	}
	var list []vigil.Case
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("case registry %s: %w", path, err)
	}
	for _, c := range list {
		r.cases[c.ID] = c
	}
	return r, nil
}

// Get returns a case, and false when it is not registered.
func (r *Registry) Get(id string) (vigil.Case, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cases[id]
	return c, ok
}

// List returns every registered case, oldest first.
func (r *Registry) List() []vigil.Case {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]vigil.Case, 0, len(r.cases))
	for _, c := range r.cases {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b vigil.Case) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Add registers a new case; an existing ID is an ECONFLICT error.
func (r *Registry) Add(c vigil.Case) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cases[c.ID]; ok {
		return vigil.Errorf(vigil.ECONFLICT, "case %s exists already", c.ID)
	}
	r.cases[c.ID] = c
	if err := r.save(); err != nil {
		delete(r.cases, c.ID)
		return err
	}
	return nil
}

// MarkPurged records when a registered case was purged; an unregistered
// case is left unregistered.
func (r *Registry) MarkPurged(id string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cases[id]
	if !ok {
		return nil
	}
	prev := c
	c.PurgedAt = at.UTC()
	r.cases[id] = c
	if err := r.save(); err != nil {
		r.cases[id] = prev
		return err
	}
	return nil
}

// save writes the registry; the caller holds r.mu.
func (r *Registry) save() error {
	list := make([]vigil.Case, 0, len(r.cases))
	for _, c := range r.cases {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b vigil.Case) int { return cmp.Compare(a.ID, b.ID) })
	raw, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return fmt.Errorf("case registry: %w", err)
	}
	err = atomicfile.Write(r.path, append(raw, '\n'))
	if err != nil {
		return fmt.Errorf("case registry: save %s: %w", r.path, err)
	}
	return nil
}

// AuthorityFrom returns a function that reads the legal authority reference
// of a case from the registry at path at each call (kept by the API
// process, read by the crawl workers on the same volume); "" when the case
// names none or the registry cannot be read.
func AuthorityFrom(path string) func(caseID string) string {
	return func(caseID string) string {
		reg, err := OpenRegistry(path)
		if err != nil {
			return ""
		}
		c, _ := reg.Get(caseID)
		return c.Authority
	}
}
