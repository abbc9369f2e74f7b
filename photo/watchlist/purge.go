package watchlist

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"vigil"
)

// PurgeCase deletes the alerts raised on images of a case and returns how
// many it deleted. The watchlists themselves belong to no case and stay.
func (d *DB) PurgeCase(caseID string) (int, error) {
	if caseID == "" {
		return 0, fmt.Errorf("purge alerts: case ID is required")
	}
	n := 0
	err := d.db.Update(func(tx *bolt.Tx) error {
		n = 0
		ba, bk := tx.Bucket(bucketAlerts), tx.Bucket(bucketAlertKeys)
		var keys, alertKeys [][]byte
		err := ba.ForEach(func(k, v []byte) error {
			var a vigil.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("alert %x: %w", k, err)
			}
			if a.Image.CaseID == caseID {
				keys = append(keys, slices.Clone(k))
				alertKeys = append(alertKeys, []byte(a.Image.ID+"\x00"+a.EntryID))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range keys {
			if err := ba.Delete(keys[i]); err != nil {
				return err
			}
			if err := bk.Delete(alertKeys[i]); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge alerts of case %s: %w", caseID, err)
	}
	return n, nil
}

// CaseAlerts counts the stored alerts raised on images of a case.
func (d *DB) CaseAlerts(caseID string) (int, error) {
	n := 0
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a vigil.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("alert %x: %w", k, err)
			}
			if a.Image.CaseID == caseID {
				n++
			}
			return nil
		})
	})
	return n, err
}
