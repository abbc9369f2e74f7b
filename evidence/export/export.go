// Package export writes findings in the formats partners use: CSV and JSON
// Lines with full provenance, and STIX 2.1 bundles of observables and
// indicators that MISP and OpenCTI import.
//
// It imports only the root package; callers fetch the findings.
package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"vigil"
)

// Formats are the names WriteFormat accepts.
var Formats = []string{"csv", "jsonl", "stix"}

// Options describe an export.
type Options struct {
	// CaseID names the case in the STIX report.
	CaseID string
	// Now stamps created/modified of the STIX objects; zero means time.Now.
	Now time.Time
}

// WriteFormat writes findings to w in format ("csv", "jsonl" or "stix").
func WriteFormat(w io.Writer, format string, findings []vigil.Finding, opt Options) error {
	switch format {
	case "csv":
		return WriteCSV(w, findings)
	case "jsonl":
		return WriteJSONL(w, findings)
	case "stix":
		return WriteSTIX(w, findings, opt)
	}
	return fmt.Errorf("unknown export format %q (want csv, jsonl or stix)", format)
}

// CSVHeader is the first row of WriteCSV's output.
var CSVHeader = []string{"finding_id", "kind", "value", "case_id", "crawl_id", "site", "url", "document_id", "captured_at", "offset", "snippet"}

// WriteCSV writes one row per finding (RFC 4180, header CSVHeader), with
// its provenance: the document, URL and capture time (RFC 3339, UTC). Cells
// that a spreadsheet would run as a formula (starting with = + - @, tab or
// CR) are prefixed with a single quote.
func WriteCSV(w io.Writer, findings []vigil.Finding) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, f := range findings {
		at := ""
		if !f.CapturedAt.IsZero() {
			at = f.CapturedAt.UTC().Format(time.RFC3339)
		}
		row := []string{f.ID, string(f.Kind), f.Value, f.CaseID, f.CrawlID, f.Site, f.URL, f.DocumentID, at, strconv.Itoa(f.Offset), f.Snippet}
		for i := range row {
			row[i] = defuseFormula(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// defuseFormula keeps spreadsheets from evaluating a crawled value
// (CSV injection): phone numbers in E.164 start with '+', so they are
// prefixed too, which spreadsheets show as text.
func defuseFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// WriteJSONL writes one finding per line as its JSON (vigil.Finding).
func WriteJSONL(w io.Writer, findings []vigil.Finding) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, f := range findings {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("write jsonl: %w", err)
		}
	}
	return nil
}
