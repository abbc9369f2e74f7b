// Package embedded is Vigil's default index: everything an investigation
// needs kept in one directory on local disk, with no server to run.
//
// Layout under Config.Dir:
//
//	docs.bleve/      bleve (scorch) index of documents: Title and Text full text,
//	                 site, crawl_id, case_id, kinds as keywords, captured_at
//	                 as a datetime (ranges) and ts as a keyword (sorting)
//	findings.bleve/  bleve (scorch) index of findings: kind, value, site,
//	                 crawl_id, case_id, document_id, url, ts keywords
//	vigil.db         bbolt: the records themselves (documents, findings,
//	                 images), the contact kinds of each document, image hashes
//	captures/ab/abc… raw captured bodies, one file per document ID
//
// The bleve indexes store no field values: hits are IDs, and the records are
// read from bbolt. The indexes are derived data: Open rebuilds them from the
// records when they are missing or were built by an older version. Images
// are matched in memory (loaded at Open) by exact Hamming search
// (store/hashindex).
//
// The "kind" facet and the Query.Kind filter rely on a "kinds" keyword field of
// each indexed document: the set of contact kinds of its findings. PutFindings
// records the kinds per document ID in bbolt and re-indexes the documents
// already stored whose kind set grew; PutDocuments reads the kinds recorded so
// far. Either order is therefore correct; putting a document's findings before
// the document indexes the document once instead of twice. Kinds are only ever
// added: a finding cannot be removed except with its whole crawl (DeleteCrawl).
package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	bolt "go.etcd.io/bbolt"

	"vigil"
	"vigil/store/capturefs"
)

// Interface guards.
var (
	_ vigil.Store        = (*Store)(nil)
	_ vigil.CaptureStore = (*Store)(nil)
)

// Config configures an embedded store.
type Config struct {
	// Dir is the directory holding the whole index; it is created if missing.
	// Required. Only one Store may have a Dir open at a time.
	Dir string
}

// Store is the embedded index. It implements vigil.Store and
// vigil.CaptureStore. All methods are safe for concurrent use; writes are
// serialised internally, reads run in parallel with them. Data written by a
// Put method that returned nil is visible to every later read and survives
// Close and a re-Open of the same Dir.
type Store struct {
	dir   string
	files *capturefs.Store // raw captures under dir/captures

	// mu guards closed; every method holds it for reading while it runs, so
	// Close waits for running calls.
	mu     sync.RWMutex
	closed bool

	// wmu serialises writes to the document and finding indexes, so the kinds
	// of a document and its index entry never disagree.
	wmu sync.Mutex

	db       *bolt.DB
	docs     bleve.Index
	findings bleve.Index
	analyzer textAnalyzer

	images *imageIndex
}

// bbolt buckets.
var (
	bucketMeta     = []byte("meta")
	bucketDocs     = []byte("documents")
	bucketKinds    = []byte("kinds") // document ID → comma-separated sorted kinds
	bucketFindings = []byte("findings")
	bucketImages   = []byte("images")
	bucketImgHash  = []byte("image_hashes") // image ID → packed hashes, loaded at Open
	bucketImgCrawl = []byte("image_crawls") // crawl ID, NUL, image ID → nothing
)

const (
	layoutVersion = "1" // of the database records
	indexVersion  = "3" // of the bleve mappings; a change rebuilds the indexes
	analyzerName  = "vigil_text"
)

// Open opens (creating if needed) the embedded store in cfg.Dir. It returns
// an EINVALID error when Dir is empty and an EUNAVAILABLE error when another
// Store holds the directory.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, vigil.Errorf(vigil.EINVALID, "embedded store: Dir is required")
	}
	files, err := capturefs.Open(filepath.Join(cfg.Dir, "captures"))
	if err != nil {
		return nil, fmt.Errorf("embedded store: create %s: %w", cfg.Dir, err)
	}
	s := &Store{dir: cfg.Dir, files: files}
	if err := s.open(); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	db, err := bolt.Open(filepath.Join(s.dir, "vigil.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return vigil.Errorf(vigil.EUNAVAILABLE, "embedded store: %s is in use by another process", s.dir)
	} else if err != nil {
		return fmt.Errorf("embedded store: open database: %w", err)
	}
	s.db = db
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketDocs, bucketKinds, bucketFindings, bucketImages, bucketImgHash, bucketImgCrawl} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get([]byte("layout")); {
		case v == nil:
			return meta.Put([]byte("layout"), []byte(layoutVersion))
		case string(v) != layoutVersion:
			return fmt.Errorf("unsupported layout version %q", v)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("embedded store: init database: %w", err)
	}
	if err := s.openIndexes(); err != nil {
		return err
	}
	if s.analyzer, err = newTextAnalyzer(s.docs); err != nil {
		return err
	}
	s.images = newImageIndex()
	if err := s.loadImages(); err != nil {
		return err
	}
	if err := s.files.CleanTemp(); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	return nil
}

// openIndexes opens the bleve indexes. They are derived data: when either is
// missing or was built with an older mapping (indexVersion), both are
// deleted and rebuilt from the database's records.
func (s *Store) openIndexes() error {
	docsPath, findingsPath := filepath.Join(s.dir, "docs.bleve"), filepath.Join(s.dir, "findings.bleve")
	var version []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		version = bytes.Clone(tx.Bucket(bucketMeta).Get([]byte("index_version")))
		return nil
	}); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	rebuild := string(version) != indexVersion
	for _, p := range []string{docsPath, findingsPath} {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			rebuild = true
		}
	}
	if rebuild {
		for _, p := range []string{docsPath, findingsPath} {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("embedded store: remove stale index: %w", err)
			}
		}
	}
	var err error
	if s.docs, err = openIndex(docsPath, documentMapping()); err != nil {
		return err
	}
	if s.findings, err = openIndex(findingsPath, findingMapping()); err != nil {
		return err
	}
	if !rebuild {
		return nil
	}
	if err := s.reindexAll(); err != nil {
		return fmt.Errorf("embedded store: rebuild indexes: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte("index_version"), []byte(indexVersion))
	})
}

func openIndex(path string, m mapping.IndexMapping) (bleve.Index, error) {
	idx, err := bleve.Open(path)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		idx, err = bleve.New(path, m)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded store: open index %s: %w", filepath.Base(path), err)
	}
	return idx, nil
}

// reindexAll indexes every document and finding record into the (empty)
// indexes.
func (s *Store) reindexAll() error {
	return s.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketKinds)
		err := reindexBucket(s.docs, tx.Bucket(bucketDocs), func(v []byte) (string, any, error) {
			var d vigil.Document
			if err := json.Unmarshal(v, &d); err != nil {
				return "", nil, err
			}
			return d.ID, docFields(&d, splitKinds(bk.Get([]byte(d.ID)))), nil
		})
		if err != nil {
			return err
		}
		return reindexBucket(s.findings, tx.Bucket(bucketFindings), func(v []byte) (string, any, error) {
			var f vigil.Finding
			if err := json.Unmarshal(v, &f); err != nil {
				return "", nil, err
			}
			return f.ID, findingFields(&f), nil
		})
	})
}

func reindexBucket(idx bleve.Index, b *bolt.Bucket, fields func(v []byte) (string, any, error)) error {
	batch := idx.NewBatch()
	err := b.ForEach(func(k, v []byte) error {
		id, f, err := fields(v)
		if err != nil {
			return fmt.Errorf("record %s: %w", k, err)
		}
		if err := batch.Index(id, f); err != nil {
			return err
		}
		if batch.Size() >= batchSize {
			if err := idx.Batch(batch); err != nil {
				return err
			}
			batch.Reset()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return idx.Batch(batch)
}

// newIndexMapping returns a mapping that indexes only the fields named by
// the caller: no dynamic fields, no _all field, no stored values.
func newIndexMapping() (*mapping.IndexMappingImpl, *mapping.DocumentMapping) {
	im := bleve.NewIndexMapping()
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false
	if err := im.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		panic(err) // a static configuration: cannot fail
	}
	im.DefaultAnalyzer = analyzerName
	dm := bleve.NewDocumentStaticMapping()
	dm.Dynamic = false
	im.DefaultMapping = dm
	return im, dm
}

func textField() *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = analyzerName
	f.Store, f.IncludeInAll, f.DocValues = false, false, false
	f.IncludeTermVectors = true // phrase queries need positions
	return f
}

func keywordField() *mapping.FieldMapping {
	f := bleve.NewKeywordFieldMapping()
	f.Analyzer = keyword.Name
	f.Store, f.IncludeInAll, f.IncludeTermVectors = false, false, false
	f.DocValues = true // facets and sorting
	return f
}

func dateField() *mapping.FieldMapping {
	f := bleve.NewDateTimeFieldMapping()
	f.Store, f.IncludeInAll = false, false
	f.DocValues = true
	return f
}

// sortKey returns the "ts" keyword of a capture time: 16 hex digits that sort
// as the times do. Sorting on it is several times faster than on the
// datetime field, whose doc values hold every precision-step term.
func sortKey(t time.Time) string {
	return fmt.Sprintf("%016x", uint64(t.UnixNano())^(1<<63))
}

func documentMapping() mapping.IndexMapping {
	im, dm := newIndexMapping()
	dm.AddFieldMappingsAt("title", textField())
	dm.AddFieldMappingsAt("text", textField())
	for _, k := range []string{"site", "crawl_id", "case_id", "kinds", "ts"} {
		dm.AddFieldMappingsAt(k, keywordField())
	}
	dm.AddFieldMappingsAt("captured_at", dateField())
	return im
}

func findingMapping() mapping.IndexMapping {
	im, dm := newIndexMapping()
	for _, k := range []string{"kind", "value", "site", "crawl_id", "case_id", "document_id", "url", "ts"} {
		dm.AddFieldMappingsAt(k, keywordField())
	}
	return im
}

// begin marks the start of a call; it fails once the store is closed or the
// context is done. The caller must call s.mu.RUnlock when begin returns nil.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return vigil.Errorf(vigil.EUNAVAILABLE, "embedded store is closed")
	}
	return nil
}

// Stats returns exact counts of the distinct documents, findings and images
// held.
func (s *Store) Stats(ctx context.Context) (vigil.Stats, error) {
	if err := s.begin(ctx); err != nil {
		return vigil.Stats{}, err
	}
	defer s.mu.RUnlock()
	nd, err := s.docs.DocCount()
	if err != nil {
		return vigil.Stats{}, fmt.Errorf("count documents: %w", err)
	}
	nf, err := s.findings.DocCount()
	if err != nil {
		return vigil.Stats{}, fmt.Errorf("count findings: %w", err)
	}
	return vigil.Stats{Documents: int(nd), Findings: int(nf), Images: s.images.len()}, nil
}

// Close flushes and releases the indexes and the database. It waits for
// running calls; later calls return EUNAVAILABLE errors. Closing twice is
// harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeAll()
}

func (s *Store) closeAll() error {
	var errs []error
	for _, idx := range []bleve.Index{s.docs, s.findings} {
		if idx != nil {
			if err := idx.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close index: %w", err))
			}
		}
	}
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	return errors.Join(errs...)
}
