package vigil

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Case is an investigation that crawls and schedules belong to. When its
// retention ends (ExpiresAt), everything captured for it is purged.
type Case struct {
	ID string `json:"id"`
	// Retention is how long the case's data is kept after the case is
	// created, as written ("180d", "720h").
	Retention string `json:"retention"`
	// Authority is the legal authority reference (warrant, order) under
	// which the case's crawls run; optional.
	Authority string    `json:"authority,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// PurgedAt is when the case's data was purged; zero while it is kept.
	PurgedAt time.Time `json:"purged_at,omitzero"`
}

// Expired reports whether the case's retention has ended at now.
func (c Case) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

// CaseRequest asks for a new case.
type CaseRequest struct {
	ID        string `json:"id"`
	Retention string `json:"retention"`
	Authority string `json:"authority,omitempty"`
}

// PurgeReport says what purging a case deleted.
type PurgeReport struct {
	CaseID string `json:"case_id"`
	// Crawls are the IDs of the crawls whose data was deleted.
	Crawls []string `json:"crawls"`
	// Deleted counts deleted records per place ("index", "crawl state",
	// "alerts", "evidence", "schedules").
	Deleted  map[string]int `json:"deleted"`
	PurgedAt time.Time      `json:"purged_at"`
}

// CaseService keeps the case registry and purges cases. CreateCase returns
// EINVALID for a bad ID or retention and ECONFLICT for an existing ID; Case
// and PurgeCase return ENOTFOUND for an unknown case. PurgeCase returns
// ECONFLICT while crawls of the case are still running (it asks them to
// stop first).
type CaseService interface {
	CreateCase(ctx context.Context, req CaseRequest, user string) (Case, error)
	Case(ctx context.Context, id string) (Case, error)
	Cases(ctx context.Context) ([]Case, error)
	PurgeCase(ctx context.Context, id, user string) (PurgeReport, error)
}

var caseIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidCaseID returns an EINVALID error unless id is 1 to 64 letters,
// digits, '.', '_' or '-', starting with a letter or digit.
func ValidCaseID(id string) error {
	if id == "" {
		return Errorf(EINVALID, "a case ID is required")
	}
	if !caseIDPattern.MatchString(id) {
		return Errorf(EINVALID, "case ID %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	return nil
}

// ParseRetention parses a retention period: a number of days ("180d") or a
// Go duration ("720h", "90m"). It must be positive and at most 100 years.
func ParseRetention(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, Errorf(EINVALID, "retention %q: want days (180d) or a duration (720h)", s)
		}
		if days > 36500 {
			return 0, Errorf(EINVALID, "retention %q: at most 36500d", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, Errorf(EINVALID, "retention %q: want days (180d) or a duration (720h)", s)
		}
		if d > 36500*24*time.Hour {
			return 0, Errorf(EINVALID, "retention %q: at most 36500d", s)
		}
	}
	if d <= 0 {
		return 0, Errorf(EINVALID, "retention %q: must be positive", s)
	}
	return d, nil
}
