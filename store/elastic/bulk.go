package elastic

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"

	"vigil"
)

// bulkOp is one bulk action on one record.
type bulkOp struct {
	action string // "index" or "update"
	index  string // an alias
	id     string
	body   []byte
}

// retryOnConflict is how often Elasticsearch retries a scripted update that
// lost a race with another update of the same page.
var retryOnConflict = 5

// maxReportedItems bounds how many rejected items an error message names.
const maxReportedItems = 5

// flushStatusRE finds the HTTP status in esutil's flush error text.
var flushStatusRE = regexp.MustCompile(`flush: \[(\d{3})`)

// bulk writes ops through one esutil.BulkIndexer per attempt. Items that
// fail with 429 or 5xx, or 409 (a page update that lost every
// retry_on_conflict race), or whose whole request failed with 429 or 5xx, are
// retried up to s.maxRetries times after s.backoff; a transport failure is
// not retried here (the client already retried it) and yields an
// EUNAVAILABLE error. Items rejected with any other status are not retried:
// bulk returns an EINVALID error naming them, after every other item was
// written.
func (s *Store) bulk(ctx context.Context, what string, ops []bulkOp) error {
	var rejected []string
	nrejected := 0
	pending := ops
	for attempt := 0; ; attempt++ {
		var (
			mu       sync.Mutex
			retry    []bulkOp
			lastErr  error // why the last retryable item failed
			fatalErr error // a request-level failure not worth retrying
		)
		bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
			Client:     s.es,
			NumWorkers: 1,
			FlushBytes: s.flushBytes,
			Refresh:    s.refresh,
		})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		for _, op := range pending {
			item := esutil.BulkIndexerItem{
				Index:      op.index,
				Action:     op.action,
				DocumentID: op.id,
				Body:       bytes.NewReader(op.body),
				OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						if m := flushStatusRE.FindStringSubmatch(err.Error()); m != nil {
							status, _ := strconv.Atoi(m[1])
							if status == 429 || status >= 500 {
								retry = append(retry, op)
								lastErr = vigil.Errorf(vigil.EUNAVAILABLE, "elasticsearch status %d", status)
								return
							}
							fatalErr = vigil.Errorf(vigil.EINTERNAL, "bulk request rejected: %v", err)
							return
						}
						if ctx.Err() != nil {
							fatalErr = ctx.Err()
						} else {
							fatalErr = unavailable(err)
						}
					case res.Status == 429 || res.Status == 409 || res.Status >= 500:
						retry = append(retry, op)
						lastErr = vigil.Errorf(vigil.EUNAVAILABLE, "%s %s: status %d %s: %s", op.index, op.id, res.Status, res.Error.Type, res.Error.Reason)
					default:
						nrejected++
						if len(rejected) < maxReportedItems {
							rejected = append(rejected, fmt.Sprintf("%s %s: status %d %s: %s", op.index, op.id, res.Status, res.Error.Type, res.Error.Reason))
						}
					}
				},
			}
			if op.action == "update" {
				item.RetryOnConflict = &retryOnConflict
			}
			if err := bi.Add(ctx, item); err != nil {
				bi.Close(context.WithoutCancel(ctx))
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		if err := bi.Close(ctx); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if fatalErr != nil {
			return fmt.Errorf("%s: %w", what, fatalErr)
		}
		if len(retry) == 0 {
			break
		}
		if attempt >= s.maxRetries {
			return fmt.Errorf("%s: %d items still rejected after %d retries: %w", what, len(retry), attempt, lastErr)
		}
		if err := sleep(ctx, s.backoff(attempt+1)); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		pending = retry
	}
	if nrejected > 0 {
		msg := fmt.Sprintf("%s: elasticsearch rejected %d items", what, nrejected)
		for _, r := range rejected {
			msg += "; " + r
		}
		return vigil.Errorf(vigil.EINVALID, "%s", msg)
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
