package crawlstate

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// PurgeCase deletes the state of every crawl of a case (its frontier, seen
// set, pending captures and batch results) and the content records those
// crawls made last, and returns the IDs of the crawls deleted, sorted. A
// content record of a page that a crawl of the case captured after another
// crawl did is deleted too, so a later re-crawl treats the page as new.
// Purging a case without state does nothing.
func (d *DB) PurgeCase(caseID string) ([]string, error) {
	if caseID == "" {
		return nil, fmt.Errorf("crawl state: purge: case ID is required")
	}
	var ids []string
	err := d.db.Update(func(tx *bolt.Tx) error {
		ids = ids[:0]
		crawls := tx.Bucket(bucketCrawls)
		err := crawls.ForEachBucket(func(k []byte) error {
			var m Meta
			if err := json.Unmarshal(crawls.Bucket(k).Get(keyMeta), &m); err != nil {
				return fmt.Errorf("crawl %s: %w", k, err)
			}
			if m.CaseID == caseID {
				ids = append(ids, string(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := crawls.DeleteBucket([]byte(id)); err != nil {
				return err
			}
		}
		content := tx.Bucket(bucketContent)
		var urls [][]byte
		err = content.ForEach(func(k, v []byte) error {
			var c Content
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("content of %s: %w", k, err)
			}
			if slices.Contains(ids, c.CrawlID) {
				urls = append(urls, slices.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, u := range urls {
			if err := content.Delete(u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("crawl state: purge case %s: %w", caseID, err)
	}
	slices.Sort(ids)
	return ids, nil
}

// CaseCrawls returns the sorted IDs of the crawls of a case that have state.
func (d *DB) CaseCrawls(caseID string) ([]string, error) {
	var ids []string
	err := d.db.View(func(tx *bolt.Tx) error {
		crawls := tx.Bucket(bucketCrawls)
		return crawls.ForEachBucket(func(k []byte) error {
			var m Meta
			if err := json.Unmarshal(crawls.Bucket(k).Get(keyMeta), &m); err != nil {
				return fmt.Errorf("crawl %s: %w", k, err)
			}
			if m.CaseID == caseID {
				ids = append(ids, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("crawl state: crawls of case %s: %w", caseID, err)
	}
	slices.Sort(ids)
	return ids, nil
}

// ContentOf counts the content records made by the given crawls.
func (d *DB) ContentOf(crawlIDs []string) (int, error) {
	n := 0
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContent).ForEach(func(k, v []byte) error {
			var c Content
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("content of %s: %w", k, err)
			}
			if slices.Contains(crawlIDs, c.CrawlID) {
				n++
			}
			return nil
		})
	})
	return n, err
}
