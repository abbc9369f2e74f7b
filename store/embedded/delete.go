package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/blevesearch/bleve/v2"
	bolt "go.etcd.io/bbolt"

	"vigil"
)

// DeleteCrawl removes the documents, findings, images and captures of a
// crawl, and the contact kinds recorded for its documents. Deleting an
// unknown or already deleted crawl does nothing. Records are deleted from the
// database before the indexes, batch by batch, so an interrupted call leaves
// no record that search can return and can simply be repeated. Captures of
// documents that were never put are not found and stay. An empty crawl ID is
// an EINVALID error.
func (s *Store) DeleteCrawl(ctx context.Context, crawlID string) error {
	if crawlID == "" {
		return vigil.Errorf(vigil.EINVALID, "delete crawl: crawl ID is required")
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()

	// Documents, their kinds and captures.
	for {
		ids, err := s.crawlIDs(ctx, s.docs, crawlID)
		if err != nil || len(ids) == 0 {
			return errors.Join(err, s.deleteCrawlFindings(ctx, crawlID), s.deleteCrawlImages(crawlID))
		}
		err = s.db.Update(func(tx *bolt.Tx) error {
			bd, bk := tx.Bucket(bucketDocs), tx.Bucket(bucketKinds)
			for _, id := range ids {
				if err := bd.Delete([]byte(id)); err != nil {
					return err
				}
				if err := bk.Delete([]byte(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete crawl %s: %w", crawlID, err)
		}
		b := s.docs.NewBatch()
		for _, id := range ids {
			b.Delete(id)
			if path, err := s.capturePath(id); err == nil {
				if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("delete crawl %s: %w", crawlID, err)
				}
			}
		}
		if err := s.docs.Batch(b); err != nil {
			return fmt.Errorf("delete crawl %s: %w", crawlID, err)
		}
	}
}

func (s *Store) deleteCrawlFindings(ctx context.Context, crawlID string) error {
	for {
		ids, err := s.crawlIDs(ctx, s.findings, crawlID)
		if err != nil || len(ids) == 0 {
			return err
		}
		err = s.db.Update(func(tx *bolt.Tx) error {
			bf := tx.Bucket(bucketFindings)
			for _, id := range ids {
				if err := bf.Delete([]byte(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete crawl %s findings: %w", crawlID, err)
		}
		b := s.findings.NewBatch()
		for _, id := range ids {
			b.Delete(id)
		}
		if err := s.findings.Batch(b); err != nil {
			return fmt.Errorf("delete crawl %s findings: %w", crawlID, err)
		}
	}
}

func (s *Store) deleteCrawlImages(crawlID string) error {
	ix := s.images
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	var ids []string
	prefix := crawlKey(crawlID, "")
	err := s.db.Update(func(tx *bolt.Tx) error {
		bi, bh, bc := tx.Bucket(bucketImages), tx.Bucket(bucketImgHash), tx.Bucket(bucketImgCrawl)
		c := bc.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			k = bytes.Clone(k)
			id := k[len(prefix):]
			ids = append(ids, string(id))
			if err := bi.Delete(id); err != nil {
				return err
			}
			if err := bh.Delete(id); err != nil {
				return err
			}
			if err := bc.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete crawl %s images: %w", crawlID, err)
	}
	ix.mu.Lock()
	for _, id := range ids {
		ix.remove(id)
	}
	ix.mu.Unlock()
	return nil
}

// crawlIDs returns up to batchSize IDs of idx's entries of a crawl.
func (s *Store) crawlIDs(ctx context.Context, idx bleve.Index, crawlID string) ([]string, error) {
	req := bleve.NewSearchRequestOptions(termQuery("crawl_id", crawlID), batchSize, 0, false)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("delete crawl %s: %w", crawlID, err)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}
