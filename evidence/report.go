package evidence

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"vigil"
)

// CaseReport is the account of a case for a prosecutor or a court: the
// case, its crawls and their evidence files with hashes, signer and
// timestamps, the watchlist matches (hashes and distances, never images),
// the case's audit entries and how to check each item independently.
// WriteHTML renders it; every value is escaped (crawled content is hostile).
type CaseReport struct {
	Case        vigil.Case
	GeneratedAt time.Time
	Tool        string
	Crawls      []ReportCrawl
	// Verified is the result of verifying every crawl's evidence when the
	// report was made.
	Verified Report
	// FindingsByKind counts the case's findings per kind.
	FindingsByKind map[vigil.Kind]int
	Matches        []vigil.Alert
	Audit          []ReportAuditEntry
	// AuditCheckpoint is the audit log's latest signed checkpoint.
	AuditCheckpoint *vigil.AuditCheckpoint
}

// ReportCrawl is one crawl of a case as its signed manifest describes it.
type ReportCrawl struct {
	Manifest Manifest
	// ManifestSHA256 is the SHA-256 (hex) of manifest.json's bytes.
	ManifestSHA256 string
	// SignerFingerprint is the SHA-256 (hex) of the signer's raw Ed25519
	// public key.
	SignerFingerprint string
	// Stamp is the manifest signature's verified timestamp, if any.
	Stamp *Stamp
	// Findings counts the crawl's findings.
	Findings int
}

// ReportAuditEntry is one line of the audit log's extract for the case.
type ReportAuditEntry struct {
	Seq    int64
	Time   time.Time
	User   string
	Action string
	Query  string
	Result string
	Hash   string
}

// ReadReportCrawls reads, under the evidence root, the crawls named (their
// signed manifests and hashes) and verifies them with o, whose stamps the
// crawls carry. findings counts findings per crawl ID.
func ReadReportCrawls(root string, crawls []string, o VerifyOptions, findings map[string]int) ([]ReportCrawl, Report, error) {
	var out []ReportCrawl
	all := Report{Pinned: o.PublicKey != nil, TSAPinned: o.TSARoots != nil}
	for _, c := range crawls {
		dir := filepath.Join(root, c)
		m, raw, err := ReadManifest(dir)
		if err != nil {
			return nil, all, err
		}
		sum := sha256.Sum256(raw)
		rc := ReportCrawl{Manifest: m, ManifestSHA256: hex.EncodeToString(sum[:]), Findings: findings[m.CrawlID]}
		if k, err := base64.StdEncoding.DecodeString(m.PublicKey); err == nil {
			fp := sha256.Sum256(k)
			rc.SignerFingerprint = hex.EncodeToString(fp[:])
		}
		rep, err := VerifyWith(dir, o)
		if err != nil {
			return nil, all, err
		}
		for _, st := range rep.Stamps {
			st.Manifest = c + "/" + ManifestName
			rc.Stamp = &st
			all.Stamps = append(all.Stamps, st)
		}
		for _, p := range rep.Problems {
			p.File = c + "/" + p.File
			all.Problems = append(all.Problems, p)
		}
		all.Manifests = append(all.Manifests, c+"/"+ManifestName)
		all.Files += rep.Files
		all.Records += rep.Records
		out = append(out, rc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Manifest.StartedAt.Before(out[j].Manifest.StartedAt) })
	return out, all, nil
}

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"circuits": circuitPolicy,
	"sortedKinds": func(m map[vigil.Kind]int) []vigil.Kind {
		var ks []vigil.Kind
		for k := range m {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
		return ks
	},
}).Parse(reportTemplate))

// circuitPolicy describes how a crawl reached its sites.
func circuitPolicy(m Manifest) string {
	if m.Scope.Network == "direct" {
		return "lab mode (--direct): no Tor, loopback sites only; no circuit isolation claimed"
	}
	if m.TorIsolation.Key == "" {
		return "Tor; no per-site isolation recorded"
	}
	return fmt.Sprintf("Tor, one circuit per site: SOCKS username %s/<host:port> (%d sites)", m.TorIsolation.Key, len(m.TorIsolation.Sites))
}

// WriteHTML renders the report as one self-contained HTML page: inline
// styles, no script, and a Content-Security-Policy that lets it load
// nothing, so printing it reaches no network.
func (r CaseReport) WriteHTML(w io.Writer) error {
	if err := reportTmpl.Execute(w, r); err != nil {
		return fmt.Errorf("render the case report: %w", err)
	}
	return nil
}

// WriteHTMLFile writes the report's HTML to a new file at path (0600).
func (r CaseReport) WriteHTMLFile(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	err = r.WriteHTML(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", path, cerr)
	}
	return err
}
