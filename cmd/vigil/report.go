package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/cases/audit"
	"vigil/evidence"
)

// chromiumPath is Debian's chromium (make deps), which prints the report.
const chromiumPath = "/usr/bin/chromium"

func newCaseReportCmd() *cobra.Command {
	var server, dataDir, outPath, pubPath, tsaCA string
	cmd := &cobra.Command{
		Use:   "report ID -o report.pdf|report.html [--data DIR] [--pubkey FILE] [--tsa-ca FILE]",
		Short: "Write the case report for a court: crawls, evidence hashes, signer, timestamps, matches, audit extract",
		Long: `report writes one document telling the story of a case: the case, its legal
authority and retention; every crawl with its seeds, times, Tor circuit
policy, page and finding counts; the evidence files with their SHA-256, the
signer key's fingerprint and the RFC 3161 timestamps (verified now, against
--pubkey and --tsa-ca when given); the watchlist matches (hashes and
distances, never images); the audit log's entries about the case; and the
commands that check each item without Vigil.

It reads the evidence and the audit log from --data and the case, findings
and alerts from the API (--server). The HTML is rendered here, every value
escaped; a .pdf is printed from it by headless Chromium (` + chromiumPath + `),
which loads nothing from the network.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext := strings.ToLower(filepath.Ext(outPath))
			if ext != ".pdf" && ext != ".html" {
				return usagef("-o wants a file ending in .pdf or .html")
			}
			opts, err := verifyOptions(pubPath, tsaCA)
			if err != nil {
				return err
			}
			rep, err := buildCaseReport(cmd.Context(), server, dataDir, args[0], opts)
			if err != nil {
				return err
			}
			if ext == ".html" {
				err = rep.WriteHTMLFile(outPath)
			} else {
				err = printPDF(cmd.Context(), rep, outPath)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "report of case %s (%d crawls) written to %s\n", args[0], len(rep.Crawls), outPath)
			return nil
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", "vigil-data", "data directory of `vigil up` (evidence and audit log)")
	f.StringVarP(&outPath, "output", "o", "", "file to write: .pdf or .html (required)")
	f.StringVar(&pubPath, "pubkey", "", "PEM Ed25519 public key the manifests must be signed with")
	f.StringVar(&tsaCA, "tsa-ca", "", "PEM certificates of the trusted Time-Stamping Authority roots")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// verifyOptions reads the --pubkey and --tsa-ca files.
func verifyOptions(pubPath, tsaCA string) (evidence.VerifyOptions, error) {
	var o evidence.VerifyOptions
	if pubPath != "" {
		raw, err := os.ReadFile(pubPath)
		if err != nil {
			return o, usagef("--pubkey: %v", err)
		}
		if o.PublicKey, err = evidence.ParsePublicKeyPEM(raw); err != nil {
			return o, usagef("--pubkey %s: %v", pubPath, err)
		}
	}
	if tsaCA != "" {
		roots, err := evidence.LoadCertPool(tsaCA)
		if err != nil {
			return o, usagef("--tsa-ca: %v", err)
		}
		o.TSARoots = roots
	}
	return o, nil
}

// buildCaseReport gathers the report of caseID: the case, findings and
// alerts from the API, the evidence and the audit log from dataDir.
func buildCaseReport(ctx context.Context, server, dataDir, caseID string, o evidence.VerifyOptions) (evidence.CaseReport, error) {
	rep := evidence.CaseReport{GeneratedAt: time.Now().UTC(), Tool: "vigil " + evidence.ToolVersion(), FindingsByKind: map[vigil.Kind]int{}}
	c, err := newAPIClient(server)
	if err != nil {
		return rep, err
	}
	if err := c.do(ctx, "GET", "/api/cases/"+url.PathEscape(caseID), nil, &rep.Case); err != nil {
		return rep, err
	}
	findings, err := fetchFindings(ctx, c, caseID)
	if err != nil {
		return rep, err
	}
	perCrawl := map[string]int{}
	for _, f := range findings {
		rep.FindingsByKind[f.Kind]++
		perCrawl[f.CrawlID]++
	}
	var alerts []vigil.Alert
	if err := c.do(ctx, "GET", "/api/alerts?limit=10000", nil, &alerts); err != nil {
		return rep, fmt.Errorf("fetch the watchlist alerts: %w", err)
	}
	for _, a := range alerts {
		if a.Image.CaseID == caseID {
			rep.Matches = append(rep.Matches, a)
		}
	}
	crawls, err := evidence.CaseCrawls(evidenceDir(dataDir), caseID)
	if err != nil {
		return rep, err
	}
	if rep.Crawls, rep.Verified, err = evidence.ReadReportCrawls(evidenceDir(dataDir), crawls, o, perCrawl); err != nil {
		return rep, err
	}
	if rep.Audit, err = auditExtract(auditPath(dataDir), caseID, crawls); err != nil {
		return rep, err
	}
	if cp, ok, err := audit.LastCheckpoint(auditPath(dataDir)); err == nil && ok {
		rep.AuditCheckpoint = &cp
	}
	return rep, nil
}

// auditExtract returns the audit entries about a case: those naming it, or
// one of its crawls in their query or result.
func auditExtract(path, caseID string, crawls []string) ([]evidence.ReportAuditEntry, error) {
	names := func(e audit.Entry) bool {
		if e.CaseID == caseID {
			return true
		}
		for _, v := range e.Query {
			if v == caseID || slices.Contains(crawls, v) {
				return true
			}
		}
		for _, c := range crawls {
			if strings.Contains(e.Result, c) {
				return true
			}
		}
		return false
	}
	entries, err := audit.Read(path, names)
	if err != nil {
		return nil, err
	}
	out := make([]evidence.ReportAuditEntry, 0, len(entries))
	for _, e := range entries {
		var q []string
		for k, v := range e.Query {
			q = append(q, k+"="+v)
		}
		sort.Strings(q)
		out = append(out, evidence.ReportAuditEntry{Seq: e.Seq, Time: e.Time, User: e.User, Action: e.Action, Query: strings.Join(q, " "), Result: e.Result, Hash: e.Hash})
	}
	return out, nil
}

// printPDF renders rep to HTML in a fresh temporary directory and prints it
// to path with headless Chromium: a fresh profile, no background
// networking, and the page's own Content-Security-Policy forbids any load.
func printPDF(ctx context.Context, rep evidence.CaseReport, path string) error {
	tmp, err := os.MkdirTemp("", "vigil-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	page := filepath.Join(tmp, "report.html")
	if err := rep.WriteHTMLFile(page); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir="+filepath.Join(tmp, "profile"), "--no-pdf-header-footer", "--print-to-pdf="+abs,
		(&url.URL{Scheme: "file", Path: page}).String())
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("print the report with %s: %w\n%s", chromiumPath, err, out)
	}
	if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
		return fmt.Errorf("chromium wrote no PDF at %s (%v):\n%s", abs, err, out)
	}
	return os.Chmod(abs, 0o600)
}
