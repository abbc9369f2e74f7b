package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

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
				outPath = evidence.PackageName(caseID)
			}
			root := evidenceDir(dataDir)
			crawls, err := evidence.CaseCrawls(root, caseID)
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
			pkg := evidence.Package{Root: root, CaseID: caseID, Crawls: crawls, Findings: findings}
			if err := pkg.WriteFile(outPath); err != nil {
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
