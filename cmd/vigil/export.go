package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil"
	"vigil/evidence"
	"vigil/evidence/export"
)

// fetchFindings pages through the API's findings of a case.
func fetchFindings(ctx context.Context, c *apiClient, caseID string) ([]vigil.Finding, error) {
	const page = 10000
	var all []vigil.Finding
	for offset := 0; ; offset += page {
		q := url.Values{"case": {caseID}, "limit": {fmt.Sprint(page)}, "offset": {fmt.Sprint(offset)}}
		var res vigil.FindingResult
		if err := c.do(ctx, "GET", "/api/findings?"+q.Encode(), nil, &res); err != nil {
			return nil, fmt.Errorf("fetch findings of case %s: %w", caseID, err)
		}
		all = append(all, res.Findings...)
		if len(res.Findings) < page || len(all) >= res.Total {
			return all, nil
		}
	}
}

func newExportCmd() *cobra.Command {
	var server, caseID, format, outPath string
	cmd := &cobra.Command{
		Use:   "export --case ID [--format csv|jsonl|stix] [-o FILE]",
		Short: "Export a case's findings with provenance as CSV, JSON Lines or a STIX 2.1 bundle",
		Long: `export fetches every finding of a case from the API and writes it with its
provenance (document, URL, capture time, snippet): CSV, JSON Lines, or a
STIX 2.1 bundle of observables and indicators (email-addr, domain-name,
user-account, and x-phone-number, x-cryptocurrency-wallet, x-pgp-fingerprint
custom observables) marked TLP:RED, for MISP or OpenCTI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if caseID == "" {
				return usagef("--case is required")
			}
			if !slices.Contains(export.Formats, format) {
				return usagef("--format %q: want one of %s", format, strings.Join(export.Formats, ", "))
			}
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			findings, err := fetchFindings(cmd.Context(), c, caseID)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := export.WriteFormat(&buf, format, findings, export.Options{CaseID: caseID}); err != nil {
				return err
			}
			if outPath == "" || outPath == "-" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(outPath, buf.Bytes(), 0o600); err != nil {
				return fmt.Errorf("write %s: %w", outPath, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d findings of case %s written to %s\n", len(findings), caseID, outPath)
			return nil
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringVar(&caseID, "case", "", "case ID (required)")
	f.StringVar(&format, "format", "csv", "csv, jsonl or stix")
	f.StringVarP(&outPath, "output", "o", "", "file to write (0600); default standard output")
	return cmd
}

func newEvidenceExportCmd() *cobra.Command {
	var server, caseID, dataDir, outPath string
	cmd := &cobra.Command{
		Use:   "export --case ID [--data DIR] [-o FILE.zip]",
		Short: "Write a zip of a case's evidence: manifests, signatures, WARC files, findings CSV and a summary",
		Long: `export collects every crawl of the case from DATA/evidence (by the case ID in
each signed manifest), verifies it, and writes a zip holding each crawl's
manifest.json, manifest.json.sig, signer.pub and WARC files, the case's
findings as findings.csv (fetched from the API at --server), and
SUMMARY.txt, a human-readable account with every file's SHA-256. It refuses
to export evidence that fails verification.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if caseID == "" {
				return usagef("--case is required")
			}
			if outPath == "" {
				outPath = "case-" + safeName(caseID) + "-evidence.zip"
			}
			root := evidenceDir(dataDir)
			crawls, err := caseCrawls(root, caseID)
			if err != nil {
				return err
			}
			if len(crawls) == 0 {
				return fmt.Errorf("no evidence of case %s under %s", caseID, root)
			}
			var findings []vigil.Finding
			c, err := newAPIClient(server)
			if err != nil {
				return err
			}
			if findings, err = fetchFindings(cmd.Context(), c, caseID); err != nil {
				return err
			}
			if err := writeEvidenceZip(outPath, root, caseID, crawls, findings); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d crawls and %d findings of case %s written to %s\n", len(crawls), len(findings), caseID, outPath)
			return nil
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringVar(&caseID, "case", "", "case ID (required)")
	f.StringVar(&dataDir, "data", "vigil-data", "data directory of `vigil up`")
	f.StringVarP(&outPath, "output", "o", "", "zip file to write (default case-ID-evidence.zip)")
	return cmd
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// caseCrawls returns the crawl directories (names under root) whose
// manifest names caseID, sorted.
func caseCrawls(root, caseID string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read evidence directory: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		m, _, err := evidence.ReadManifest(filepath.Join(root, e.Name()))
		if err == nil && m.CaseID == caseID {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// writeEvidenceZip verifies each crawl's evidence and writes the package.
func writeEvidenceZip(outPath, root, caseID string, crawls []string, findings []vigil.Finding) error {
	var summary strings.Builder
	fmt.Fprintf(&summary, "Vigil evidence package of case %s\nWritten %s by %s\n\n", caseID, time.Now().UTC().Format(time.RFC3339), evidence.ToolVersion())
	fmt.Fprintf(&summary, "Check it with: vigil evidence verify --pubkey <the exported signer key> <unzipped crawls/>\n\n")
	f, err := os.OpenFile(outPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", outPath, err)
	}
	zw := zip.NewWriter(f)
	fail := func(err error) error {
		zw.Close()
		f.Close()
		os.Remove(outPath)
		return err
	}
	for _, crawl := range crawls {
		dir := filepath.Join(root, crawl)
		rep, err := evidence.Verify(dir, nil)
		if err != nil {
			return fail(err)
		}
		if !rep.OK() {
			return fail(fmt.Errorf("evidence of crawl %s fails verification: %s", crawl, rep.Problems[0]))
		}
		m, _, err := evidence.ReadManifest(dir)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(&summary, "Crawl %s\n  legal authority: %s\n  operator: %s\n  seeds: %s\n  started %s, last batch ended %s\n  network: %s; tool %s (config %s)\n  %d WARC files, %d responses, %d bytes\n",
			crawl, m.LegalAuthority, m.Operator, strings.Join(m.Seeds, " "), m.StartedAt.Format(time.RFC3339), m.EndedAt.Format(time.RFC3339),
			m.Scope.Network, m.Tool.Version, m.Tool.ConfigDigest, m.Counts.Files, m.Counts.Responses, m.Counts.Bytes)
		names := []string{evidence.ManifestName, evidence.SignatureName, evidence.PublicKeyName}
		for _, wf := range m.Files {
			names = append(names, wf.Name)
			fmt.Fprintf(&summary, "    %s  sha256 %s\n", wf.Name, wf.SHA256)
		}
		summary.WriteString("\n")
		for _, name := range names {
			if err := zipFile(zw, "crawls/"+crawl+"/"+name, filepath.Join(dir, name)); err != nil {
				return fail(err)
			}
		}
	}
	var csvBuf bytes.Buffer
	if err := export.WriteCSV(&csvBuf, findings); err != nil {
		return fail(err)
	}
	fmt.Fprintf(&summary, "Findings: %d (findings.csv)\n", len(findings))
	for name, data := range map[string][]byte{"findings.csv": csvBuf.Bytes(), "SUMMARY.txt": []byte(summary.String())} {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			return fail(fmt.Errorf("write %s into the zip: %w", name, err))
		}
	}
	if err := zw.Close(); err != nil {
		return fail(fmt.Errorf("write %s: %w", outPath, err))
	}
	if err := f.Close(); err != nil {
		os.Remove(outPath)
		return fmt.Errorf("write %s: %w", outPath, err)
	}
	return nil
}

func zipFile(zw *zip.Writer, name, path string) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	// WARC files are gzip already: store them as they are.
	method := zip.Deflate
	if strings.HasSuffix(name, ".gz") {
		method = zip.Store
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Now()})
	if err != nil {
		return fmt.Errorf("add %s to the zip: %w", name, err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return fmt.Errorf("add %s to the zip: %w", name, err)
	}
	return nil
}
