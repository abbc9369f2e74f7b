package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"vigil/cases/audit"
	"vigil/evidence"
)

// TestAuditVerifyChecksCheckpoints: the server's audit log is signed with
// the evidence key, manifests mirror its latest checkpoint, and audit
// verify passes it intact and fails it with its tail deleted, even when the
// checkpoint file is cut back to match (the manifest's copy remembers).
func TestAuditVerifyChecksCheckpoints(t *testing.T) {
	data := t.TempDir()
	l, err := openAudit(data, 4)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := l.Record(audit.Entry{User: "alice", Action: "search"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	a, _, err := openEvidence(evidenceFlags{}, data, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.WriteCapture("crawl-1", 0, evidence.Capture{URL: "http://127.0.0.1:1/", Status: 200, Body: []byte("page"), FetchedAt: time.Now()})
	if err := a.EndBatch("crawl-1", 0, evidence.Run{CaseID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := evidence.ReadManifest(a.CrawlDir("crawl-1")); m.AuditCheckpoint == nil || m.AuditCheckpoint.Entries != 10 {
		t.Fatalf("manifest's audit checkpoint = %+v; want the log's head at 10 entries", m.AuditCheckpoint)
	}
	out, err := runCLI("audit", "verify", "--data", data)
	if err != nil || !strings.Contains(out, "10 entries, chain intact; 4 signed checkpoints and 1 mirrored in evidence manifests agree") {
		t.Fatalf("audit verify: %q, %v", out, err)
	}

	// Entries 9 and 10 removed, and the checkpoints of 10 entries with them.
	logRaw, _ := os.ReadFile(auditPath(data))
	lines := bytes.SplitAfter(logRaw, []byte("\n"))
	os.WriteFile(auditPath(data), bytes.Join(lines[:8], nil), 0o600)
	cps, _ := os.ReadFile(audit.CheckpointPath(auditPath(data)))
	cpLines := bytes.SplitAfter(cps, []byte("\n"))
	os.WriteFile(audit.CheckpointPath(auditPath(data)), bytes.Join(cpLines[:3], nil), 0o600) // 0, 4, 8
	out, err = runCLI("audit", "verify", "--data", data)
	if err == nil || !strings.Contains(err.Error(), "mirrored in an evidence manifest") || !strings.Contains(err.Error(), "removed from its end") {
		t.Fatalf("audit verify of a cut log: %q, %v; want the manifest's checkpoint to catch it", out, err)
	}
}
