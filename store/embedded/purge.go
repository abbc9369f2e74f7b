package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	bolt "go.etcd.io/bbolt"

	"vigil"
)

// PurgeCase deletes everything of a case: the documents, findings, images
// and raw captures of every crawl that holds a record of the case
// (DeleteCrawl on each), and the records of the case put without a crawl.
// It returns the IDs of the crawls purged, sorted. Purging an unknown or
// already purged case does nothing. An empty case ID is an EINVALID error.
func (s *Store) PurgeCase(ctx context.Context, caseID string) ([]string, error) {
	if caseID == "" {
		return nil, vigil.Errorf(vigil.EINVALID, "purge case: case ID is required")
	}
	crawls, err := s.CaseCrawls(ctx, caseID)
	if err != nil {
		return nil, err
	}
	for _, id := range crawls {
		if id == "" {
			if err := s.deleteUncrawled(ctx, caseID); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.DeleteCrawl(ctx, id); err != nil {
			return nil, fmt.Errorf("purge case %s: %w", caseID, err)
		}
	}
	return slices.DeleteFunc(crawls, func(id string) bool { return id == "" }), nil
}

// caseRecord is the part of a stored document, finding or image that ties
// it to a case.
type caseRecord struct {
	ID      string `json:"id"`
	CrawlID string `json:"crawl_id"`
	CaseID  string `json:"case_id"`
}

// CaseCrawls returns the sorted IDs of the crawls of which the store holds
// a document, finding or image of the case ("" stands for records put
// without a crawl). It reads every stored record: it is meant for purges and
// checks, not for queries.
func (s *Store) CaseCrawls(ctx context.Context, caseID string) ([]string, error) {
	set := map[string]bool{}
	err := s.eachCaseRecord(ctx, caseID, func(_ []byte, r caseRecord) { set[r.CrawlID] = true })
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// eachCaseRecord calls fn with the bucket name and record of every stored
// document, finding and image of the case.
func (s *Store) eachCaseRecord(ctx context.Context, caseID string, fn func(bucket []byte, r caseRecord)) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketDocs, bucketFindings, bucketImages} {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				var r caseRecord
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("%s %s: %w", name, k, err)
				}
				if r.CaseID == caseID {
					fn(name, r)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("records of case %s: %w", caseID, err)
	}
	return nil
}

// deleteUncrawled deletes the documents (with their captures), findings and
// images of the case that have no crawl ID.
func (s *Store) deleteUncrawled(ctx context.Context, caseID string) error {
	ids := map[string][]string{}
	err := s.eachCaseRecord(ctx, caseID, func(bucket []byte, r caseRecord) {
		if r.CrawlID == "" {
			ids[string(bucket)] = append(ids[string(bucket)], r.ID)
		}
	})
	if err != nil {
		return err
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ix := s.images
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	docs, findings, images := ids[string(bucketDocs)], ids[string(bucketFindings)], ids[string(bucketImages)]
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, del := range []struct {
			ids     []string
			buckets [][]byte
		}{{docs, [][]byte{bucketDocs, bucketKinds}}, {findings, [][]byte{bucketFindings}}, {images, [][]byte{bucketImages, bucketImgHash}}} {
			for _, id := range del.ids {
				for _, b := range del.buckets {
					if err := tx.Bucket(b).Delete([]byte(id)); err != nil {
						return err
					}
				}
			}
		}
		for _, id := range images {
			if err := tx.Bucket(bucketImgCrawl).Delete(crawlKey("", id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("purge case %s: %w", caseID, err)
	}
	bd := s.docs.NewBatch()
	for _, id := range docs {
		bd.Delete(id)
		if path, err := s.capturePath(id); err == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("purge case %s: %w", caseID, err)
			}
		}
	}
	bf := s.findings.NewBatch()
	for _, id := range findings {
		bf.Delete(id)
	}
	if err := errors.Join(s.docs.Batch(bd), s.findings.Batch(bf)); err != nil {
		return fmt.Errorf("purge case %s: %w", caseID, err)
	}
	ix.mu.Lock()
	for _, id := range images {
		ix.remove(id)
	}
	ix.mu.Unlock()
	return nil
}
