// Package watchlist keeps imported lists of known hashes (victim photos
// shared by partners: PDQ, pHash64, MD5, SHA-256, each with a label) and
// checks crawled images against them, raising an alert per image and entry.
//
// Everything lives in one bbolt file (Open); the hashes are also held in
// memory, PDQ and pHash in exact Hamming indexes (photo/hashindex). A DB is
// safe for concurrent use.
package watchlist

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"vigil"
	"vigil/photo/hashindex"
)

// Alert thresholds (DESIGN.md §3, the match band): PDQ ≤ 31 with quality ≥
// 50 on the crawled image, pHash64 ≤ 10, SHA-256 and MD5 exact.
const (
	PDQRadius   = 31
	PHashRadius = 10
	MinQuality  = vigil.MinPDQQuality
)

// Entry is one hash of a watchlist.
type Entry struct {
	ID        string    `json:"id"` // deterministic: list, algorithm and hash
	List      string    `json:"list"`
	Algorithm string    `json:"algorithm"`
	Hash      string    `json:"hash"` // lower-case hex
	Label     string    `json:"label"`
	AddedAt   time.Time `json:"added_at"`
}

var (
	bucketEntries   = []byte("entries")
	bucketLists     = []byte("lists")
	bucketAlerts    = []byte("alerts")     // 8-byte sequence → Alert
	bucketAlertKeys = []byte("alert_keys") // image ID \x00 entry ID → sequence
)

// DB is the watchlists and alerts store.
type DB struct {
	db  *bolt.DB
	now func() time.Time

	mu      sync.RWMutex
	entries []Entry        // slot → entry
	byID    map[string]int // entry ID → slot
	pdq     *hashindex.Index
	phash   *hashindex.Index
	exact   map[string][]int // algorithm + ":" + hash → slots (sha256, md5)
}

// Open opens or creates the watchlist database at path and loads its
// entries into memory.
func Open(path string) (*DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open watchlist db %s: %w", path, err)
	}
	d := &DB{db: db, now: time.Now, byID: map[string]int{}, pdq: hashindex.NewPDQ(), phash: hashindex.NewPHash(), exact: map[string][]int{}}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntries, bucketLists, bucketAlerts, bucketAlertKeys} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("entry %s: %w", k, err)
			}
			return d.add(e)
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load watchlists: %w", err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// add puts e in the memory index, or refreshes its label. The caller holds
// d.mu for writing (or is Open).
func (d *DB) add(e Entry) error {
	if slot, ok := d.byID[e.ID]; ok {
		d.entries[slot] = e
		return nil
	}
	b, err := hex.DecodeString(e.Hash)
	if err != nil || len(b)*2 != hexLen[e.Algorithm] {
		return fmt.Errorf("entry %s: bad %s hash %q", e.ID, e.Algorithm, e.Hash)
	}
	slot := len(d.entries)
	d.entries = append(d.entries, e)
	d.byID[e.ID] = slot
	switch e.Algorithm {
	case vigil.AlgoPDQ:
		d.pdq.Add(uint32(slot), b)
	case vigil.AlgoPHash:
		d.phash.Add(uint32(slot), b)
	default:
		k := e.Algorithm + ":" + e.Hash
		d.exact[k] = append(d.exact[k], slot)
	}
	return nil
}

// EntryID is the deterministic ID of a hash in a list.
func EntryID(list, algorithm, hash string) string {
	s := sha256.Sum256([]byte(list + "\x00" + algorithm + "\x00" + hash))
	return hex.EncodeToString(s[:12])
}

// Import adds rows to the watchlist named list (created when new).
// Importing a hash already in the list refreshes its label; Import is
// therefore idempotent. It returns an error for an empty list name or no
// rows, and writes nothing then.
func (d *DB) Import(list string, rows []Row) (vigil.WatchlistImport, error) {
	res := vigil.WatchlistImport{List: list, Rows: len(rows)}
	if list == "" {
		return res, fmt.Errorf("import watchlist: empty list name")
	}
	if len(rows) == 0 {
		return res, fmt.Errorf("import watchlist %s: no hashes", list)
	}
	now := d.now().UTC()
	entries := make([]Entry, 0, len(rows))
	for _, r := range rows {
		if _, err := row(r.Algorithm, r.Hash, r.Label); err != nil {
			return res, fmt.Errorf("import watchlist %s: %w", list, err)
		}
		entries = append(entries, Entry{ID: EntryID(list, r.Algorithm, r.Hash), List: list, Algorithm: r.Algorithm, Hash: r.Hash, Label: r.Label, AddedAt: now})
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.db.Update(func(tx *bolt.Tx) error {
		be := tx.Bucket(bucketEntries)
		for i := range entries {
			e := &entries[i]
			if old := be.Get([]byte(e.ID)); old != nil {
				var o Entry
				if err := json.Unmarshal(old, &o); err == nil {
					e.AddedAt = o.AddedAt
				}
				res.Updated++
			} else {
				res.Added++
			}
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := be.Put([]byte(e.ID), v); err != nil {
				return err
			}
		}
		v, err := json.Marshal(map[string]time.Time{"updated_at": now})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketLists).Put([]byte(list), v)
	})
	if err != nil {
		return vigil.WatchlistImport{List: list, Rows: len(rows)}, fmt.Errorf("import watchlist %s: %w", list, err)
	}
	for _, e := range entries {
		if err := d.add(e); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ImportFile parses a watchlist file from r (see Parse) and imports its
// rows into the watchlist named list, as Import does. A malformed file is
// an EINVALID error naming the line, and nothing is written then.
func (d *DB) ImportFile(list string, r io.Reader) (vigil.WatchlistImport, error) {
	rows, err := Parse(r)
	if err != nil {
		return vigil.WatchlistImport{List: list}, err
	}
	return d.Import(list, rows)
}

// Lists returns every watchlist with its entry counts, by name.
func (d *DB) Lists() ([]vigil.Watchlist, error) {
	d.mu.RLock()
	byName := map[string]*vigil.Watchlist{}
	for _, e := range d.entries {
		l := byName[e.List]
		if l == nil {
			l = &vigil.Watchlist{Name: e.List, ByAlgorithm: map[string]int{}}
			byName[e.List] = l
		}
		l.Entries++
		l.ByAlgorithm[e.Algorithm]++
	}
	d.mu.RUnlock()
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLists).ForEach(func(k, v []byte) error {
			var meta struct {
				UpdatedAt time.Time `json:"updated_at"`
			}
			if l := byName[string(k)]; l != nil && json.Unmarshal(v, &meta) == nil {
				l.UpdatedAt = meta.UpdatedAt
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list watchlists: %w", err)
	}
	out := make([]vigil.Watchlist, 0, len(byName))
	for _, l := range byName {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b vigil.Watchlist) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Len returns the number of entries across all lists.
func (d *DB) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.entries)
}

// hit is an entry an image matched.
type hit struct {
	slot, dist int
}

// matches returns the entries img matches; the caller holds d.mu for
// reading.
func (d *DB) matches(img *vigil.Image) []hit {
	best := map[int]int{}
	offer := func(id uint32, dist int) {
		if d0, ok := best[int(id)]; !ok || dist < d0 {
			best[int(id)] = dist
		}
	}
	if b, err := hex.DecodeString(img.PDQ); err == nil && len(b) == d.pdq.Bytes() && img.PDQQuality >= MinQuality {
		d.pdq.Search(b, PDQRadius, offer)
	}
	if b, err := hex.DecodeString(img.PHash); err == nil && len(b) == d.phash.Bytes() {
		d.phash.Search(b, PHashRadius, offer)
	}
	for algo, h := range map[string]string{vigil.AlgoSHA256: img.SHA256, vigil.AlgoMD5: img.MD5} {
		if h == "" {
			continue
		}
		for _, slot := range d.exact[algo+":"+h] {
			offer(uint32(slot), 0)
		}
	}
	out := make([]hit, 0, len(best))
	for slot, dist := range best {
		out = append(out, hit{slot, dist})
	}
	slices.SortFunc(out, func(a, b hit) int { return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.slot, b.slot)) })
	return out
}

// Check matches images against every watchlist (PDQ ≤ 31 when the image's
// PDQ quality is at least 50, pHash64 ≤ 10, SHA-256 and MD5 exact), stores
// an alert per image ID and entry that has none yet, and returns the alerts
// it stored, in image order then distance. Checking the same images again
// returns no alerts and stores nothing: a retried batch raises each alert
// once.
func (d *DB) Check(images []vigil.Image) ([]vigil.Alert, error) {
	var cand []vigil.Alert
	d.mu.RLock()
	for i := range images {
		img := &images[i]
		for _, h := range d.matches(img) {
			e := d.entries[h.slot]
			cand = append(cand, vigil.Alert{
				ID: alertID(img.ID, e.ID), List: e.List, EntryID: e.ID, Label: e.Label,
				Algorithm: e.Algorithm, Hash: e.Hash, Distance: h.dist,
				PageURL: img.PageURL, ImageURL: img.URL, Site: img.Site, Image: *img,
			})
		}
	}
	d.mu.RUnlock()
	if len(cand) == 0 {
		return nil, nil
	}
	now := d.now().UTC()
	var raised []vigil.Alert
	err := d.db.Update(func(tx *bolt.Tx) error {
		raised = raised[:0]
		ba, bk := tx.Bucket(bucketAlerts), tx.Bucket(bucketAlertKeys)
		for _, a := range cand {
			key := []byte(a.Image.ID + "\x00" + a.EntryID)
			if bk.Get(key) != nil {
				continue
			}
			seq, err := ba.NextSequence()
			if err != nil {
				return err
			}
			a.RaisedAt = now
			v, err := json.Marshal(a)
			if err != nil {
				return err
			}
			k := binary.BigEndian.AppendUint64(nil, seq)
			if err := ba.Put(k, v); err != nil {
				return err
			}
			if err := bk.Put(key, k); err != nil {
				return err
			}
			raised = append(raised, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store watchlist alerts: %w", err)
	}
	return raised, nil
}

func alertID(imageID, entryID string) string {
	s := sha256.Sum256([]byte("alert\x00" + imageID + "\x00" + entryID))
	return hex.EncodeToString(s[:12])
}

// Alerts returns up to limit stored alerts, newest first (0 means 100).
func (d *DB) Alerts(limit int) ([]vigil.Alert, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []vigil.Alert
	err := d.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAlerts).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var a vigil.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("alert %x: %w", k, err)
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}
