// Package audit keeps an append-only, hash-chained log of what investigators
// did: every search, match, view and crawl change. Each entry carries the
// SHA-256 of the previous entry, so editing, deleting or reordering entries
// breaks the chain and Verify reports the first broken line. A log opened
// with a key (OpenSigned) also writes signed checkpoints of its head, so
// that removing its last entries or rewriting it whole with fresh hashes is
// noticed too (VerifySigned).
package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Entry is one audited action.
type Entry struct {
	Seq    int64             `json:"seq"`
	Time   time.Time         `json:"time"`
	User   string            `json:"user"`
	Action string            `json:"action"` // e.g. "search", "findings", "document.view", "crawl.start"
	CaseID string            `json:"case_id,omitempty"`
	Query  map[string]string `json:"query,omitempty"`
	Result string            `json:"result,omitempty"` // e.g. "12 hits", "error: ..."
	Prev   string            `json:"prev"`             // hash of the previous entry ("" for the first)
	Hash   string            `json:"hash"`             // SHA-256 of this entry with Hash empty
}

// Log appends entries to a file. It is safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	path string
	f    *os.File
	seq  int64
	prev string
	now  func() time.Time
	// opts.Key is nil for a log without checkpoints (Open).
	opts         Options
	checkpointed int64 // entries the latest checkpoint vouches for
}

// Open opens (creating if needed) the log at path and checks its chain, so a
// tampered log is noticed at start-up rather than extended. It writes no
// checkpoints (see OpenSigned).
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	n, last, err := verify(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return &Log{path: path, f: f, seq: n, prev: last, now: time.Now}, nil
}

// OpenSigned is Open for a log with signed checkpoints (CheckpointPath):
// it refuses a log that its checkpoints do not vouch for (VerifySigned),
// then writes a checkpoint of the head it opened, one every o.Every
// entries, and one at Close. A log without any checkpoint yet (new, or
// written before checkpoints) is adopted as it is: its first checkpoint is
// written now.
func OpenSigned(path string, o Options) (*Log, error) {
	if len(o.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("audit log: a signed log needs an Ed25519 key")
	}
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	l, err := Open(path)
	if err != nil {
		return nil, err
	}
	l.opts = o
	cps, err := ReadCheckpoints(path)
	if err == nil && len(cps) > 0 {
		_, err = VerifySigned(path, o.Key.Public().(ed25519.PublicKey), nil)
	}
	if err == nil {
		err = l.writeCheckpoint()
	}
	if err != nil {
		l.f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return l, nil
}

// Record appends e, filling Seq, Time, Prev and Hash. The entry is on disk
// (fsynced) when Record returns.
func (l *Log) Record(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Seq = l.seq + 1
	e.Time = l.now().UTC()
	e.Prev = l.prev
	e.Hash = ""
	e.Hash = hashOf(e)
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	l.seq, l.prev = e.Seq, e.Hash
	if l.opts.Key != nil && l.seq-l.checkpointed >= int64(l.opts.Every) {
		return l.writeCheckpoint()
	}
	return nil
}

// Close writes a last checkpoint when entries were added since the latest
// one (a signed log), and closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.opts.Key != nil && l.seq != l.checkpointed {
		err = l.writeCheckpoint()
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ErrTampered reports a broken chain.
var ErrTampered = errors.New("audit log tampered")

// Verify checks the chain of the log at path and returns the number of
// entries. A broken chain is reported as ErrTampered with the line number.
func Verify(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	n, _, err := verify(f)
	return n, err
}

func verify(r io.Reader) (n int64, last string, err error) {
	return walk(r, func(Entry) {})
}

// walk checks the chain of the log read from r, calling fn with each entry
// in order, and returns the number of entries and the last hash.
func walk(r io.Reader, fn func(Entry)) (n int64, last string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return n, last, fmt.Errorf("line %d is not an entry: %w", line, ErrTampered)
		}
		want := e.Hash
		e.Hash = ""
		if e.Prev != last || e.Seq != n+1 || hashOf(e) != want {
			return n, last, fmt.Errorf("line %d breaks the chain: %w", line, ErrTampered)
		}
		e.Hash = want
		fn(e)
		n, last = e.Seq, want
	}
	return n, last, sc.Err()
}

func hashOf(e Entry) string {
	raw, _ := json.Marshal(e) // struct of strings, maps and times: cannot fail
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Filter selects entries for Search. Empty fields match every entry.
type Filter struct {
	User   string // exact user name
	Action string // exact action, or a prefix ending in "." ("crawl.")
	Text   string // case-insensitive substring of the case ID, a query value or the result
	Offset int    // entries to skip, newest first
	Limit  int    // 0 means 100
}

func (f Filter) match(e Entry) bool {
	if f.User != "" && e.User != f.User {
		return false
	}
	if f.Action != "" && e.Action != f.Action && !(strings.HasSuffix(f.Action, ".") && strings.HasPrefix(e.Action, f.Action)) {
		return false
	}
	if f.Text == "" {
		return true
	}
	t := strings.ToLower(f.Text)
	if strings.Contains(strings.ToLower(e.CaseID), t) || strings.Contains(strings.ToLower(e.Result), t) {
		return true
	}
	for _, v := range e.Query {
		if strings.Contains(strings.ToLower(v), t) {
			return true
		}
	}
	return false
}

// Search returns the entries matching f, newest first, from f.Offset on and
// at most f.Limit of them, with the number of matching entries in all. It
// reads the whole file: the log is append-only and small next to the index.
func (l *Log) Search(f Filter) ([]Entry, int, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, err := os.Open(l.path)
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	defer r.Close()
	var all []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, 0, fmt.Errorf("audit log: %w", ErrTampered)
		}
		if f.match(e) {
			all = append(all, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	total := len(all)
	var out []Entry
	for i := total - 1 - f.Offset; i >= 0 && len(out) < f.Limit; i-- {
		out = append(out, all[i])
	}
	return out, total, nil
}

// Read checks the chain of the log at path and returns, oldest first, the
// entries keep accepts.
func Read(path string, keep func(Entry) bool) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	var out []Entry
	if _, _, err := walk(f, func(e Entry) {
		if keep(e) {
			out = append(out, e)
		}
	}); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return out, nil
}
