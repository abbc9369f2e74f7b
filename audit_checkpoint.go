package vigil

import "time"

// AuditCheckpoint vouches for the head of the audit log: the number of
// entries, the hash of the last one and when, signed (Ed25519, base64)
// with the server's evidence key. The audit log writes one every N entries
// and at shutdown, and each evidence manifest carries the latest, so that
// cutting or re-chaining the log is noticed by anyone without the key.
type AuditCheckpoint struct {
	Entries   int64     `json:"entries"`
	Head      string    `json:"head"` // hash of entry Entries ("" when there is none)
	Time      time.Time `json:"time"`
	Signature string    `json:"signature"`
}
