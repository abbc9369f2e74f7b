package embedded

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"vigil"
	"vigil/photo/hashindex"
)

// Hash sizes in bytes.
const (
	pdqBytes    = 32
	phashBytes  = 8
	sha256Bytes = 32
	md5Bytes    = 16
)

// hashes are the decoded hashes of one image; a nil slice means absent.
type hashes struct {
	pdq, phash, sha256, md5 []byte
}

func imageHashes(img *vigil.Image) (h hashes, err error) {
	if h.pdq, err = vigil.DecodeHash(vigil.AlgoPDQ, img.PDQ); err != nil {
		return h, err
	}
	if h.phash, err = vigil.DecodeHash(vigil.AlgoPHash, img.PHash); err != nil {
		return h, err
	}
	if h.sha256, err = vigil.DecodeHash(vigil.AlgoSHA256, img.SHA256); err != nil {
		return h, err
	}
	h.md5, err = vigil.DecodeHash(vigil.AlgoMD5, img.MD5)
	return h, err
}

// pack encodes h as a presence byte followed by each present hash.
func (h hashes) pack() []byte {
	var flags byte
	out := []byte{0}
	for i, b := range [][]byte{h.pdq, h.phash, h.sha256, h.md5} {
		if b != nil {
			flags |= 1 << i
			out = append(out, b...)
		}
	}
	out[0] = flags
	return out
}

func unpackHashes(v []byte) (hashes, error) {
	if len(v) == 0 {
		return hashes{}, fmt.Errorf("empty hash record")
	}
	var h hashes
	flags, v := v[0], v[1:]
	for i, p := range []*[]byte{&h.pdq, &h.phash, &h.sha256, &h.md5} {
		if flags&(1<<i) == 0 {
			continue
		}
		n := []int{pdqBytes, phashBytes, sha256Bytes, md5Bytes}[i]
		if len(v) < n {
			return hashes{}, fmt.Errorf("short hash record")
		}
		*p, v = bytes.Clone(v[:n]), v[n:]
	}
	return h, nil
}

func (h hashes) equal(o hashes) bool {
	return bytes.Equal(h.pdq, o.pdq) && bytes.Equal(h.phash, o.phash) &&
		bytes.Equal(h.sha256, o.sha256) && bytes.Equal(h.md5, o.md5)
}

// imageIndex holds every stored image's hashes in memory.
type imageIndex struct {
	wmu sync.Mutex // serialises PutImages: database write and memory update

	mu     sync.RWMutex
	ids    []string // slot → image ID; "" for a dead slot
	hashes []hashes // slot → hashes
	byID   map[string]uint32
	pdq    *hashindex.Index // exact multi-index hashing; slots never removed
	phash  *hashindex.Index
	sha256 map[[sha256Bytes]byte][]uint32
	md5    map[[md5Bytes]byte][]uint32
}

func newImageIndex() *imageIndex {
	return &imageIndex{
		byID:   map[string]uint32{},
		pdq:    hashindex.NewPDQ(),
		phash:  hashindex.NewPHash(),
		sha256: map[[sha256Bytes]byte][]uint32{},
		md5:    map[[md5Bytes]byte][]uint32{},
	}
}

func (ix *imageIndex) len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// remove forgets image id. The caller holds ix.mu for writing.
func (ix *imageIndex) remove(id string) {
	slot, ok := ix.byID[id]
	if !ok {
		return
	}
	delete(ix.byID, id)
	ix.kill(slot)
}

// kill marks slot dead and drops it from the exact-hash maps. The caller
// holds ix.mu for writing.
func (ix *imageIndex) kill(slot uint32) {
	ix.ids[slot] = ""
	oh := ix.hashes[slot]
	if oh.sha256 != nil {
		k := [sha256Bytes]byte(oh.sha256)
		if ix.sha256[k] = slices.DeleteFunc(ix.sha256[k], func(s uint32) bool { return s == slot }); len(ix.sha256[k]) == 0 {
			delete(ix.sha256, k)
		}
	}
	if oh.md5 != nil {
		k := [md5Bytes]byte(oh.md5)
		if ix.md5[k] = slices.DeleteFunc(ix.md5[k], func(s uint32) bool { return s == slot }); len(ix.md5[k]) == 0 {
			delete(ix.md5, k)
		}
	}
	ix.hashes[slot] = hashes{}
}

// set records h as the hashes of image id, replacing earlier ones.
// The caller holds ix.mu for writing.
func (ix *imageIndex) set(id string, h hashes) {
	if old, ok := ix.byID[id]; ok {
		if ix.hashes[old].equal(h) {
			return
		}
		ix.kill(old)
	}
	slot := uint32(len(ix.ids))
	ix.ids = append(ix.ids, id)
	ix.hashes = append(ix.hashes, h)
	ix.byID[id] = slot
	if h.pdq != nil {
		ix.pdq.Add(slot, h.pdq)
	}
	if h.phash != nil {
		ix.phash.Add(slot, h.phash)
	}
	if h.sha256 != nil {
		k := [sha256Bytes]byte(h.sha256)
		ix.sha256[k] = append(ix.sha256[k], slot)
	}
	if h.md5 != nil {
		k := [md5Bytes]byte(h.md5)
		ix.md5[k] = append(ix.md5[k], slot)
	}
}

// crawlKey is the key of an image in the crawl index bucket.
func crawlKey(crawlID, imageID string) []byte {
	return []byte(crawlID + "\x00" + imageID)
}

// loadImages fills the in-memory index from the database.
func (s *Store) loadImages() error {
	s.images.mu.Lock()
	defer s.images.mu.Unlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImgHash).ForEach(func(k, v []byte) error {
			h, err := unpackHashes(v)
			if err != nil {
				return fmt.Errorf("image %s: %w", k, err)
			}
			s.images.set(string(k), h)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("embedded store: load images: %w", err)
	}
	return nil
}

// PutImages stores image records, replacing any with the same ID. It
// returns an EINVALID error, and writes nothing, if an image has no ID or a
// hash that is not hex of the algorithm's size.
func (s *Store) PutImages(ctx context.Context, images []vigil.Image) error {
	hs := make([]hashes, len(images))
	for i := range images {
		if images[i].ID == "" {
			return vigil.Errorf(vigil.EINVALID, "image %d has no ID", i)
		}
		var err error
		if hs[i], err = imageHashes(&images[i]); err != nil {
			return fmt.Errorf("image %s: %w", images[i].ID, err)
		}
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	ix := s.images
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		bi, bh, bc := tx.Bucket(bucketImages), tx.Bucket(bucketImgHash), tx.Bucket(bucketImgCrawl)
		for i := range images {
			v, err := json.Marshal(&images[i])
			if err != nil {
				return err
			}
			if err := bi.Put([]byte(images[i].ID), v); err != nil {
				return err
			}
			if err := bh.Put([]byte(images[i].ID), hs[i].pack()); err != nil {
				return err
			}
			if err := bc.Put(crawlKey(images[i].CrawlID, images[i].ID), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put images: %w", err)
	}
	ix.mu.Lock()
	for i := range images {
		ix.set(images[i].ID, hs[i])
	}
	ix.mu.Unlock()
	return nil
}

// match is the best match found so far for one slot.
type match struct {
	slot  uint32
	dist  int
	query int // index of the query hash
}

// MatchImages returns the stored images within the Hamming radius of any
// query hash (exact equality for sha256 and md5), each once with its best
// match: the smallest distance, and among equal distances the earliest query
// hash. Hits are ordered by distance, then image ID. A zero limit means 100;
// limits above 10,000 are cut to 10,000. Unknown algorithms, malformed hashes,
// negative distances and a negative limit are EINVALID errors.
func (s *Store) MatchImages(ctx context.Context, q vigil.ImageQuery) ([]vigil.ImageHit, error) {
	plan, err := q.Plan()
	if err != nil {
		return nil, err
	}
	radius, limit, queries := plan.Radius, plan.Limit, plan.Hashes
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()

	ix := s.images
	best := map[uint32]match{}
	offer := func(slot uint32, dist, qi int) {
		if m, ok := best[slot]; !ok || dist < m.dist {
			best[slot] = match{slot: slot, dist: dist, query: qi}
		}
	}
	ix.mu.RLock()
	for qi, qh := range q.Hashes {
		switch qh.Algorithm {
		case vigil.AlgoPDQ:
			ix.pdq.Search(queries[qi], radius[vigil.AlgoPDQ], func(slot uint32, d int) { offer(slot, d, qi) })
		case vigil.AlgoPHash:
			ix.phash.Search(queries[qi], radius[vigil.AlgoPHash], func(slot uint32, d int) { offer(slot, d, qi) })
		case vigil.AlgoSHA256:
			for _, slot := range ix.sha256[[sha256Bytes]byte(queries[qi])] {
				offer(slot, 0, qi)
			}
		case vigil.AlgoMD5:
			for _, slot := range ix.md5[[md5Bytes]byte(queries[qi])] {
				offer(slot, 0, qi)
			}
		}
	}
	type ranked struct {
		match
		id string
	}
	hits := make([]ranked, 0, len(best))
	for slot, m := range best {
		if id := ix.ids[slot]; id != "" {
			hits = append(hits, ranked{m, id})
		}
	}
	ix.mu.RUnlock()
	slices.SortFunc(hits, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.id, b.id))
	})
	hits = hits[:min(len(hits), limit)]

	out := make([]vigil.ImageHit, 0, len(hits))
	err = s.db.View(func(tx *bolt.Tx) error {
		bi := tx.Bucket(bucketImages)
		for _, h := range hits {
			v := bi.Get([]byte(h.id))
			if v == nil {
				continue // replaced or deleted since the search
			}
			var img vigil.Image
			if err := json.Unmarshal(v, &img); err != nil {
				return fmt.Errorf("image %s: %w", h.id, err)
			}
			qh := q.Hashes[h.query]
			out = append(out, vigil.ImageHit{Image: img, Algorithm: qh.Algorithm, Distance: h.dist, Variant: qh.Variant})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("match images: %w", err)
	}
	return out, nil
}
