package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"vigil"
)

// CheckpointPath returns the file of signed checkpoints of the log at
// path: path + ".checkpoints", one JSON vigil.AuditCheckpoint a line.
func CheckpointPath(path string) string { return path + ".checkpoints" }

// DefaultEvery is how many entries a signed log writes between checkpoints
// when Options.Every is 0.
const DefaultEvery = 16

// Options configure the signed checkpoints of a Log (OpenSigned).
type Options struct {
	// Key signs every checkpoint: the server's evidence key.
	Key ed25519.PrivateKey
	// Every is the number of entries between checkpoints; 0 means
	// DefaultEvery.
	Every int
}

// checkpointMessage returns the bytes a checkpoint's signature covers.
func checkpointMessage(c vigil.AuditCheckpoint) []byte {
	return []byte("vigil-audit-checkpoint/1\n" + strconv.FormatInt(c.Entries, 10) + "\n" + c.Head + "\n" + c.Time.UTC().Format(time.RFC3339Nano) + "\n")
}

// signCheckpoint returns the checkpoint of the head (n, head), signed now.
func signCheckpoint(key ed25519.PrivateKey, n int64, head string, now time.Time) vigil.AuditCheckpoint {
	c := vigil.AuditCheckpoint{Entries: n, Head: head, Time: now.UTC()}
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, checkpointMessage(c)))
	return c
}

// CheckSignature reports whether c is signed by pub.
func CheckSignature(c vigil.AuditCheckpoint, pub ed25519.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(pub, checkpointMessage(c), sig) {
		return fmt.Errorf("the checkpoint of %d entries at %s is not signed by the key: %w", c.Entries, c.Time.Format(time.RFC3339), ErrTampered)
	}
	return nil
}

// ReadCheckpoints returns the checkpoints of the log at path, oldest first
// (none when the file does not exist). A line that is not a checkpoint is
// ErrTampered.
func ReadCheckpoints(path string) ([]vigil.AuditCheckpoint, error) {
	raw, err := os.ReadFile(CheckpointPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", err)
	}
	var out []vigil.AuditCheckpoint
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c vigil.AuditCheckpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("audit checkpoints line %d is not a checkpoint: %w", line, ErrTampered)
		}
		out = append(out, c)
	}
	return out, nil
}

// LastCheckpoint returns the latest checkpoint of the log at path, and
// false when there is none.
func LastCheckpoint(path string) (vigil.AuditCheckpoint, bool, error) {
	cps, err := ReadCheckpoints(path)
	if err != nil || len(cps) == 0 {
		return vigil.AuditCheckpoint{}, false, err
	}
	return cps[len(cps)-1], true, nil
}

// Signed is what VerifySigned found.
type Signed struct {
	Entries     int64                  // entries in the log, chain intact
	Checkpoints int                    // checkpoints of the file checked
	Mirrored    int                    // checkpoints mirrored elsewhere (evidence manifests) checked
	Last        *vigil.AuditCheckpoint // the latest checkpoint of the file
	// Unvouched is the number of entries after the latest checkpoint: a
	// running server has not signed them yet, and nothing would notice
	// their removal.
	Unvouched int64
}

// VerifySigned checks the log at path and its signed checkpoints against
// pub: the hash chain; that there is at least one checkpoint (a signed log
// writes one when it opens); that every checkpoint of the file, and every
// mirrored one (from evidence manifests), is signed by pub and names an
// entry count the log reaches and the hash the log has at that entry. So an
// edited line, a deleted tail, a truncated file and a whole file rewritten
// with fresh hashes are each ErrTampered, unless the one who changed the
// file also holds the key.
func VerifySigned(path string, pub ed25519.PublicKey, mirrored []vigil.AuditCheckpoint) (Signed, error) {
	hashes, err := chainHashes(path)
	if err != nil {
		return Signed{}, err
	}
	res := Signed{Entries: int64(len(hashes))}
	cps, err := ReadCheckpoints(path)
	if err != nil {
		return res, err
	}
	if len(cps) == 0 {
		return res, fmt.Errorf("no signed checkpoint of the log (%s is missing or empty): %w", CheckpointPath(path), ErrTampered)
	}
	var prev vigil.AuditCheckpoint
	for i, c := range cps {
		if err := checkAgainst(c, hashes, pub); err != nil {
			return res, fmt.Errorf("checkpoint %d: %w", i+1, err)
		}
		if c.Entries < prev.Entries || c.Time.Before(prev.Time) {
			return res, fmt.Errorf("checkpoint %d goes back in entries or time: %w", i+1, ErrTampered)
		}
		prev = c
	}
	for _, c := range mirrored {
		if err := checkAgainst(c, hashes, pub); err != nil {
			return res, fmt.Errorf("checkpoint mirrored in an evidence manifest: %w", err)
		}
		res.Mirrored++
	}
	res.Checkpoints, res.Last = len(cps), &prev
	res.Unvouched = res.Entries - prev.Entries
	return res, nil
}

// checkAgainst checks one checkpoint's signature and that the log's
// chain, hashes[i] being the hash of entry i+1, reaches it.
func checkAgainst(c vigil.AuditCheckpoint, hashes []string, pub ed25519.PublicKey) error {
	if err := CheckSignature(c, pub); err != nil {
		return err
	}
	n := int64(len(hashes))
	switch {
	case c.Entries > n:
		return fmt.Errorf("it vouches for %d entries at %s, the log has %d (entries were removed from its end): %w", c.Entries, c.Time.Format(time.RFC3339), n, ErrTampered)
	case c.Entries == 0 && c.Head != "", c.Entries > 0 && hashes[c.Entries-1] != c.Head:
		return fmt.Errorf("entry %d of the log is not the one signed at %s (the log was rewritten): %w", c.Entries, c.Time.Format(time.RFC3339), ErrTampered)
	}
	return nil
}

// chainHashes checks the chain of the log at path and returns the hash of
// every entry in order.
func chainHashes(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	var hashes []string
	_, _, err = walk(f, func(e Entry) { hashes = append(hashes, e.Hash) })
	return hashes, err
}

// writeCheckpoint appends a checkpoint of the log's head to its checkpoint
// file and syncs it. The caller holds l.mu.
func (l *Log) writeCheckpoint() error {
	c := signCheckpoint(l.opts.Key, l.seq, l.prev, l.now())
	line, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	f, err := os.OpenFile(CheckpointPath(l.path), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	l.checkpointed = l.seq
	return nil
}
