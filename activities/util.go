package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
)

// maxText bounds the text kept for a non-HTML text capture.
const maxText = 2 << 20

func (a *Activities) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func truncateText(s string) string {
	if len(s) <= maxText {
		return s
	}
	return s[:maxText]
}

// BatchHeartbeat is the detail CrawlBatch records with each heartbeat: the
// batch and the pages it has captured so far. A retried attempt reads it to
// log where its predecessor got to; it restarts the batch from the committed
// frontier either way, because nothing of an uncommitted batch is kept.
type BatchHeartbeat struct {
	Batch int `json:"batch"`
	Pages int `json:"pages"`
}

// heartbeater records an activity's progress: at most once a second when
// pages complete, and on a timer (a third of the heartbeat timeout) while
// none do, so that a slow page never looks like a dead worker.
type heartbeater struct {
	ctx   context.Context
	batch int
	last  atomic.Int64
	pages atomic.Int64
	stop  chan struct{}
	done  chan struct{}
}

// newHeartbeater starts the timer; stop it with close.
func newHeartbeater(ctx context.Context, batch int) *heartbeater {
	h := &heartbeater{ctx: ctx, batch: batch, stop: make(chan struct{}), done: make(chan struct{})}
	if !activity.IsActivity(ctx) {
		close(h.done)
		return h
	}
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		every = 10 * time.Second
	}
	every = max(every, 100*time.Millisecond)
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				h.record()
			}
		}
	}()
	return h
}

// beat notes that pages pages are done and records a heartbeat unless one
// was recorded less than a second ago.
func (h *heartbeater) beat(pages int) {
	h.pages.Store(int64(pages))
	now := time.Now().UnixNano()
	last := h.last.Load()
	if now-last < int64(time.Second) || !h.last.CompareAndSwap(last, now) {
		return
	}
	h.record()
}

func (h *heartbeater) record() {
	if activity.IsActivity(h.ctx) {
		h.last.Store(time.Now().UnixNano())
		activity.RecordHeartbeat(h.ctx, BatchHeartbeat{Batch: h.batch, Pages: int(h.pages.Load())})
	}
}

// close stops the timer and waits for it.
func (h *heartbeater) close() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
}
