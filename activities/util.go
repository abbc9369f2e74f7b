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

// heartbeater records an activity's progress at most once a second.
type heartbeater struct {
	ctx  context.Context
	last atomic.Int64
}

func newHeartbeater(ctx context.Context) *heartbeater {
	return &heartbeater{ctx: ctx}
}

func (h *heartbeater) beat(pages int) {
	now := time.Now().UnixNano()
	last := h.last.Load()
	if now-last < int64(time.Second) || !h.last.CompareAndSwap(last, now) {
		return
	}
	if activity.IsActivity(h.ctx) {
		activity.RecordHeartbeat(h.ctx, pages)
	}
}
