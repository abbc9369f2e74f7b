// Package crawlstate persists what a crawl needs to survive a crash: its
// frontier, its seen set, the captures waiting to be indexed, and the result
// of every committed batch. It is one bbolt file shared by all crawls.
//
// A DB from Open holds the file for the life of the process (vigil up). A DB
// from OpenShared opens the file for each transaction and closes it after,
// so the crawl workers and the processing role of a split deployment (vigil
// worker, vigil serve) can share it on one volume: bbolt's file lock makes
// them take turns, one short transaction at a time, and a process killed
// mid-transaction releases the lock with its death (deploy/SCALING.md).
//
// A batch is committed atomically (Commit): the pages it took from the
// frontier, the URLs it marked seen, the links it discovered, its pending
// captures and its result are written in one transaction. A batch that
// crashes before Commit leaves no trace, so retrying it is safe.
package crawlstate

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"vigil"
)

// Request is a URL waiting in a frontier.
type Request struct {
	URL   string `json:"url"`
	Depth int    `json:"depth"`
	// Referrer is the page that linked URL ("" for a seed): the page of
	// origin of an image that URL turns out to serve.
	Referrer string `json:"referrer,omitempty"`
}

// Meta describes a crawl.
type Meta struct {
	CrawlID  string   `json:"crawl_id"`
	CaseID   string   `json:"case_id,omitempty"`
	Seeds    []string `json:"seeds"`
	Hosts    []string `json:"hosts"`
	MaxDepth int      `json:"max_depth"`
	Robots   string   `json:"robots,omitempty"` // robots.txt policy: "obey" or "ignore"/""
	// Cookies and Login name the crawl's stored cookie file and login
	// recipe (never their content).
	Cookies string `json:"cookies,omitempty"`
	Login   string `json:"login,omitempty"`
	// CookieFile and LoginFile are paths recorded by crawls started before
	// secrets were named; such a crawl's batches are refused.
	CookieFile string    `json:"cookie_file,omitempty"`
	LoginFile  string    `json:"login_file,omitempty"`
	LastBatch  int       `json:"last_batch"`
	Created    time.Time `json:"created"`
}

// Pending is a capture waiting for the index: the document, the extractor's
// view of it, the hashes of its images and, when a site template matched the
// page, its records and any template drift.
type Pending struct {
	Document vigil.Document       `json:"document"`
	Page     vigil.Page           `json:"page"`
	Images   []vigil.Image        `json:"images,omitempty"`
	Records  []vigil.Record       `json:"records,omitempty"`
	Drift    *vigil.TemplateDrift `json:"drift,omitempty"`
	// ETag and LastModified are the validators of a 200 response, kept in
	// the page's Content record for conditional requests on a re-crawl.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// ImagesOnly marks the hashes of images whose page of origin was
	// captured by an earlier batch (an image reached by a link): Images is
	// all there is, and Document holds only the pending key in ID. There is
	// no document to index and no capture.
	ImagesOnly bool `json:"images_only,omitempty"`
}

// DB is the crawl state database. Its methods are safe for concurrent use,
// and with OpenShared by several processes.
type DB struct {
	db *file
}

// SharedLockTimeout bounds how long a shared DB waits for another process's
// transaction before it fails (and the activity is retried).
const SharedLockTimeout = time.Minute

// file is a DB's bbolt file: held open (Open), or opened for each
// transaction (OpenShared).
type file struct {
	path string
	held *bolt.DB
	// mu orders this process's opens of a shared file: bbolt's lock is per
	// open file, so two opens in one process would wait on each other by
	// polling. Views share it, updates take it alone.
	mu sync.RWMutex
}

// View runs fn in a read-only transaction.
func (f *file) View(fn func(*bolt.Tx) error) error {
	if f.held != nil {
		return f.held.View(fn)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	db, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: SharedLockTimeout, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("open %s: %w", f.path, err)
	}
	defer db.Close()
	return db.View(fn)
}

// Update runs fn in a read-write transaction.
func (f *file) Update(fn func(*bolt.Tx) error) error {
	if f.held != nil {
		return f.held.Update(fn)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	db, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: SharedLockTimeout})
	if err != nil {
		return fmt.Errorf("open %s: %w", f.path, err)
	}
	uerr := db.Update(fn)
	if err := db.Close(); uerr == nil && err != nil {
		uerr = fmt.Errorf("close %s: %w", f.path, err)
	}
	return uerr
}

// Close closes a held file.
func (f *file) Close() error {
	if f.held != nil {
		return f.held.Close()
	}
	return nil
}

var (
	bucketCrawls   = []byte("crawls")
	keyMeta        = []byte("meta")
	bucketFrontier = []byte("frontier")
	bucketSeen     = []byte("seen")
	bucketBatches  = []byte("batches")
	bucketPending  = []byte("pending")
	bucketContent  = []byte("content") // top level: page URL → Content, across crawls
	one            = []byte{1}
)

// Open opens or creates the database at path and holds it open until
// Close: no other process can open it meanwhile.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("crawl state: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("crawl state: open %s: %w (is another vigil holding it? split roles share it only with vigil worker and vigil serve)", path, err)
	}
	d := &DB{db: &file{path: path, held: db}}
	if err := d.init(); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// OpenShared opens or creates the database at path for sharing with other
// processes: every method opens the file for its transaction and closes it
// after. Close does nothing.
func OpenShared(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("crawl state: %w", err)
	}
	d := &DB{db: &file{path: path}}
	if err := d.init(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *DB) init() error {
	err := d.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketCrawls); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketContent)
		return err
	})
	if err != nil {
		return fmt.Errorf("crawl state: %w", err)
	}
	return nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func crawlBucket(tx *bolt.Tx, crawlID string) *bolt.Bucket {
	return tx.Bucket(bucketCrawls).Bucket([]byte(crawlID))
}

// Start records a new crawl with its seed requests in the frontier. Starting
// a crawl that exists already changes nothing and reports its frontier size.
func (d *DB) Start(meta Meta, seeds []Request) (queued int, err error) {
	err = d.db.Update(func(tx *bolt.Tx) error {
		if b := crawlBucket(tx, meta.CrawlID); b != nil {
			queued = countKeys(b.Bucket(bucketFrontier))
			return nil
		}
		b, err := tx.Bucket(bucketCrawls).CreateBucket([]byte(meta.CrawlID))
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketFrontier, bucketSeen, bucketBatches, bucketPending} {
			if _, err := b.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := putJSON(b, keyMeta, meta); err != nil {
			return err
		}
		fr, seen := b.Bucket(bucketFrontier), b.Bucket(bucketSeen)
		for _, r := range seeds {
			if seen.Get([]byte(r.URL)) != nil {
				continue
			}
			if err := seen.Put([]byte(r.URL), one); err != nil {
				return err
			}
			if err := appendRequest(fr, r); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("crawl state: start %s: %w", meta.CrawlID, err)
	}
	return queued, nil
}

// Meta returns a crawl's description, or an ENOTFOUND error.
func (d *DB) Meta(crawlID string) (Meta, error) {
	var m Meta
	err := d.db.View(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return vigil.Errorf(vigil.ENOTFOUND, "crawl %s has no state on this worker", crawlID)
		}
		return json.Unmarshal(b.Get(keyMeta), &m)
	})
	return m, err
}

// BatchResult returns the recorded result of a committed batch into v and
// reports whether it exists.
func (d *DB) BatchResult(crawlID string, batch int, v any) (bool, error) {
	found := false
	err := d.db.View(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return vigil.Errorf(vigil.ENOTFOUND, "crawl %s has no state on this worker", crawlID)
		}
		raw := b.Bucket(bucketBatches).Get([]byte(strconv.Itoa(batch)))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, v)
	})
	return found, err
}

// Head returns up to n requests from the front of the frontier, with the keys
// that Commit needs to remove them.
func (d *DB) Head(crawlID string, n int) ([]Request, [][]byte, error) {
	var reqs []Request
	var keys [][]byte
	err := d.db.View(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return vigil.Errorf(vigil.ENOTFOUND, "crawl %s has no state on this worker", crawlID)
		}
		c := b.Bucket(bucketFrontier).Cursor()
		for k, v := c.First(); k != nil && len(reqs) < n; k, v = c.Next() {
			var r Request
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			reqs = append(reqs, r)
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	return reqs, keys, err
}

// Seen is a crawl's seen set for the duration of one batch: MarkNew checks
// the committed set and the marks of this batch, atomically. Marks become
// durable only with Commit.
type Seen struct {
	d       *DB
	crawlID string
	mu      sync.Mutex
	marks   map[string]struct{}
	// old caches URLs found in the committed set: it only grows, so each
	// URL is read from the file at most once per batch.
	old map[string]struct{}
	// committed is the whole committed set of a shared DB, read in one
	// transaction at the first MarkNew of the batch: an open of a shared
	// file costs about a millisecond, a lookup of a held one microseconds.
	// Only the crawl's one running batch adds to the set, so it stays
	// exact for the batch.
	committed map[string]struct{}
}

// Seen returns the seen set of a crawl for one batch.
func (d *DB) Seen(crawlID string) *Seen {
	return &Seen{d: d, crawlID: crawlID, marks: map[string]struct{}{}, old: map[string]struct{}{}}
}

// MarkNew reports whether url was not seen before, and marks it.
func (s *Seen) MarkNew(url string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.marks[url]; ok {
		return false
	}
	if _, ok := s.old[url]; ok {
		return false
	}
	if s.d.db.held == nil && s.committed == nil {
		s.committed = s.d.loadSeen(s.crawlID) // nil on error: lookups one by one
	}
	if s.committed != nil {
		if _, ok := s.committed[url]; ok {
			return false
		}
		s.marks[url] = struct{}{}
		return true
	}
	var committed bool
	_ = s.d.db.View(func(tx *bolt.Tx) error {
		if b := crawlBucket(tx, s.crawlID); b != nil {
			committed = b.Bucket(bucketSeen).Get([]byte(url)) != nil
		}
		return nil
	})
	if committed {
		s.old[url] = struct{}{}
		return false
	}
	s.marks[url] = struct{}{}
	return true
}

// loadSeen returns a crawl's committed seen set, or nil when it cannot be
// read.
func (d *DB) loadSeen(crawlID string) map[string]struct{} {
	set := map[string]struct{}{}
	err := d.db.View(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return nil
		}
		return b.Bucket(bucketSeen).ForEach(func(k, _ []byte) error {
			set[string(k)] = struct{}{}
			return nil
		})
	})
	if err != nil {
		return nil
	}
	return set
}

// Batch is what one committed batch changes.
type Batch struct {
	Number    int
	Taken     [][]byte  // frontier keys from Head that the batch consumed
	Remaining []Request // requests to append to the frontier (unfetched or discovered)
	Seen      *Seen
	Pending   []Pending
	// Result returns the batch's result given the frontier size after the
	// commit; it is recorded and returned by BatchResult on replay.
	Result func(queued int) any
}

// Commit applies a batch atomically and returns the frontier size after it.
// Committing a batch number already committed changes nothing.
func (d *DB) Commit(crawlID string, bt Batch) (queued int, err error) {
	err = d.db.Update(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return vigil.Errorf(vigil.ENOTFOUND, "crawl %s has no state on this worker", crawlID)
		}
		batches := b.Bucket(bucketBatches)
		key := []byte(strconv.Itoa(bt.Number))
		fr := b.Bucket(bucketFrontier)
		if batches.Get(key) != nil {
			queued = countKeys(fr)
			return nil
		}
		for _, k := range bt.Taken {
			if err := fr.Delete(k); err != nil {
				return err
			}
		}
		for _, r := range bt.Remaining {
			if err := appendRequest(fr, r); err != nil {
				return err
			}
		}
		if bt.Seen != nil {
			seen := b.Bucket(bucketSeen)
			bt.Seen.mu.Lock()
			for u := range bt.Seen.marks {
				if err := seen.Put([]byte(u), one); err != nil {
					bt.Seen.mu.Unlock()
					return err
				}
			}
			bt.Seen.mu.Unlock()
		}
		pend := b.Bucket(bucketPending)
		content := tx.Bucket(bucketContent)
		for _, p := range bt.Pending {
			if err := putJSON(pend, []byte(p.Document.ID), p); err != nil {
				return err
			}
			if p.ImagesOnly {
				continue
			}
			c := Content{CrawlID: crawlID, SHA256: p.Document.SHA256, CapturedAt: p.Document.CapturedAt, ContentType: p.Document.ContentType, ETag: p.ETag, LastModified: p.LastModified}
			if err := putJSON(content, []byte(p.Document.URL), c); err != nil {
				return err
			}
		}
		queued = countKeys(fr)
		if err := putJSON(batches, key, bt.Result(queued)); err != nil {
			return err
		}
		var m Meta
		if err := json.Unmarshal(b.Get(keyMeta), &m); err != nil {
			return err
		}
		m.LastBatch = max(m.LastBatch, bt.Number)
		return putJSON(b, keyMeta, m)
	})
	if err != nil {
		return 0, fmt.Errorf("crawl state: commit batch %d of %s: %w", bt.Number, crawlID, err)
	}
	return queued, nil
}

// Pending returns the pending captures among ids; IDs already indexed (and
// released) are skipped.
func (d *DB) Pending(crawlID string, ids []string) ([]Pending, error) {
	var out []Pending
	err := d.db.View(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return vigil.Errorf(vigil.ENOTFOUND, "crawl %s has no state on this worker", crawlID)
		}
		pend := b.Bucket(bucketPending)
		for _, id := range ids {
			raw := pend.Get([]byte(id))
			if raw == nil {
				continue
			}
			var p Pending
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Release removes indexed captures from the pending set.
func (d *DB) Release(crawlID string, ids []string) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := crawlBucket(tx, crawlID)
		if b == nil {
			return nil
		}
		pend := b.Bucket(bucketPending)
		for _, id := range ids {
			if err := pend.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

func appendRequest(fr *bolt.Bucket, r Request) error {
	seq, err := fr.NextSequence()
	if err != nil {
		return err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return putJSON(fr, k[:], r)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// countKeys counts b's keys with a cursor. Bucket.Stats is no substitute:
// inside a write transaction it reads the pages as last committed and misses
// the transaction's own deletes and inserts.
func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// Content is the last committed capture of a page URL, by whichever crawl
// made it: re-crawls compare against it to tell unchanged pages.
type Content struct {
	CrawlID     string    `json:"crawl_id"`
	SHA256      string    `json:"sha256"`
	CapturedAt  time.Time `json:"captured_at"`
	ContentType string    `json:"content_type,omitempty"`
	// ETag and LastModified are the validators of that capture ("" when
	// the server sent none or the answer was not a 200).
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// LastContent returns the last committed capture of url by any crawl; ok is
// false when no crawl has captured it.
func (d *DB) LastContent(url string) (c Content, ok bool, err error) {
	err = d.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketContent).Get([]byte(url))
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &c)
	})
	if err != nil {
		return Content{}, false, fmt.Errorf("crawl state: last content of %s: %w", url, err)
	}
	return c, ok, nil
}
