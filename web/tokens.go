package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"vigil"
	"vigil/internal/atomicfile"
)

// Role is what a token may do. Each role includes every lower one.
type Role int

// The roles, lowest first.
const (
	RoleViewer       Role = iota + 1 // search and read documents, findings, crawls
	RoleInvestigator                 // + crawl control and raw capture download
	RoleAnalyst                      // + photo match, watchlists and alerts
	RoleAdmin                        // + audit log and token management
)

var roleNames = map[Role]string{RoleViewer: "viewer", RoleInvestigator: "investigator", RoleAnalyst: "analyst", RoleAdmin: "admin"}

// String returns the role's name ("viewer" … "admin").
func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return "none"
}

// ParseRole returns the role named s, or an EINVALID error.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if strings.EqualFold(s, n) {
			return r, nil
		}
	}
	return 0, vigil.Errorf(vigil.EINVALID, "unknown role %q (use viewer, investigator, analyst or admin)", s)
}

// DefaultTokenTTL is how long a new token is valid unless its creator asks
// otherwise, through the API and the CLI alike.
const DefaultTokenTTL = 30 * 24 * time.Hour

// TokenRecord is a stored token: its name, role and validity, and the
// SHA-256 of the token. The token itself is never stored.
type TokenRecord struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	SHA256    string    `json:"sha256,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never
}

// Expired reports whether the token has expired at now.
func (t TokenRecord) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// Tokens is the token store: a JSON file of TokenRecords (mode 0600) in the
// data directory. It notices tokens created by another process (`vigil token
// create` beside a running server) on the next Authenticate. It is safe for
// concurrent use, and for concurrent writers in several processes (writes
// take an exclusive lock on PATH.lock).
type Tokens struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	modTime time.Time
	size    int64
	ino     uint64
	recs    []TokenRecord
}

// OpenTokens opens the token store at path. A missing file is an empty store;
// the file is created by the first Create.
func OpenTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path, now: time.Now}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reloadLocked(); err != nil {
		return nil, err
	}
	return t, nil
}

// reloadLocked re-reads the file when it changed since the last read.
func (t *Tokens) reloadLocked() error {
	fi, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		t.recs, t.modTime, t.size = nil, time.Time{}, 0
		return nil
	} else if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	if fi.ModTime().Equal(t.modTime) && fi.Size() == t.size && ino == t.ino && t.recs != nil {
		return nil
	}
	raw, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	recs := []TokenRecord{}
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &recs); err != nil {
			return fmt.Errorf("token store %s: %w", t.path, err)
		}
	}
	t.recs, t.modTime, t.size, t.ino = recs, fi.ModTime(), fi.Size(), ino
	return nil
}

// Len returns the number of stored tokens, expired ones included.
func (t *Tokens) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.reloadLocked()
	return len(t.recs)
}

// List returns the stored tokens without their hashes, oldest first.
func (t *Tokens) List() ([]TokenRecord, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reloadLocked(); err != nil {
		return nil, err
	}
	out := make([]TokenRecord, len(t.recs))
	for i, r := range t.recs {
		r.SHA256 = ""
		out[i] = r
	}
	return out, nil
}

// ErrBadToken is the one answer to a token that is unknown, expired or
// revoked: it says nothing of which, nor names the token.
var ErrBadToken = vigil.Errorf(vigil.EUNAUTHORIZED, "the API token is unknown, expired or revoked")

// Authenticate returns the record of token. An unknown token and an expired
// one are both ErrBadToken.
func (t *Tokens) Authenticate(token string) (TokenRecord, error) {
	sum := sha256.Sum256([]byte(token))
	return t.byHash(hex.EncodeToString(sum[:]))
}

// byHash returns the unexpired record whose token has the SHA-256 h (hex),
// or ErrBadToken.
func (t *Tokens) byHash(h string) (TokenRecord, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reloadLocked(); err != nil {
		return TokenRecord{}, err
	}
	for _, r := range t.recs {
		if r.SHA256 != h {
			continue
		}
		if r.Expired(t.now()) {
			return TokenRecord{}, ErrBadToken
		}
		return r, nil
	}
	return TokenRecord{}, ErrBadToken
}

// Create makes a new random token with a unique name and role, valid for ttl
// (0: no expiry), stores its hash and returns the token: the only time it is
// seen. An empty name is replaced by "token-" and the hash's first 8 digits.
// A name already in use is an ECONFLICT error.
func (t *Tokens) Create(name string, role Role, ttl time.Duration) (string, TokenRecord, error) {
	if role.String() == "none" {
		return "", TokenRecord{}, vigil.Errorf(vigil.EINVALID, "unknown role")
	}
	if ttl < 0 {
		return "", TokenRecord{}, vigil.Errorf(vigil.EINVALID, "expiry must not be negative")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", TokenRecord{}, fmt.Errorf("token: %w", err)
	}
	token := "vigil_" + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	rec := TokenRecord{Name: strings.TrimSpace(name), Role: role.String(), SHA256: hex.EncodeToString(sum[:]), CreatedAt: t.now().UTC()}
	if rec.Name == "" {
		rec.Name = "token-" + rec.SHA256[:8]
	}
	if len(rec.Name) > 64 || strings.ContainsFunc(rec.Name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", TokenRecord{}, vigil.Errorf(vigil.EINVALID, "token name must be at most 64 printable characters")
	}
	if ttl > 0 {
		rec.ExpiresAt = rec.CreatedAt.Add(ttl)
	}
	err := t.update(func(recs []TokenRecord) ([]TokenRecord, error) {
		for _, r := range recs {
			if r.Name == rec.Name {
				return nil, vigil.Errorf(vigil.ECONFLICT, "a token named %q exists", rec.Name)
			}
		}
		return append(recs, rec), nil
	})
	if err != nil {
		return "", TokenRecord{}, err
	}
	rec.SHA256 = ""
	return token, rec, nil
}

// Revoke deletes the token named name; an unknown name is ENOTFOUND.
func (t *Tokens) Revoke(name string) error {
	return t.update(func(recs []TokenRecord) ([]TokenRecord, error) {
		i := slices.IndexFunc(recs, func(r TokenRecord) bool { return r.Name == name })
		if i < 0 {
			return nil, vigil.Errorf(vigil.ENOTFOUND, "no token named %q", name)
		}
		return slices.Delete(recs, i, i+1), nil
	})
}

// update applies f to the records under the cross-process lock and writes
// the result atomically (temporary file, fsync, rename).
func (t *Tokens) update(f func([]TokenRecord) ([]TokenRecord, error)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(t.path), 0o700); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	lock, err := os.OpenFile(t.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("token store lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	t.recs = nil // force a re-read under the lock
	if err := t.reloadLocked(); err != nil {
		return err
	}
	recs, err := f(slices.Clone(t.recs))
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	if err := atomicfile.Write(t.path, append(raw, '\n')); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	t.recs = nil
	return t.reloadLocked()
}
