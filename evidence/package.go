package evidence

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigil"
	"vigil/evidence/export"
)

// Package is the evidence package of a case, a zip for whoever receives the
// case: each crawl's manifest.json, manifest.json.sig, signer.pub, the
// signature's timestamp token when there is one and WARC files under
// crawls/CRAWL/, the case's findings as findings.csv, and
// SUMMARY.txt, a human-readable account with every WARC file's SHA-256.
type Package struct {
	// Root is the evidence directory the crawls are read from (an
	// Archive's Dir, DATA/evidence).
	Root   string
	CaseID string
	// Crawls are the crawl directories under Root to include (CaseCrawls).
	Crawls   []string
	Findings []vigil.Finding
}

// PackageName returns the default file name of the evidence package of
// caseID: case-ID-evidence.zip, with every character of the ID outside
// [A-Za-z0-9_-] replaced by '_'.
func PackageName(caseID string) string {
	safe := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, caseID)
	return "case-" + safe + "-evidence.zip"
}

// CaseCrawls returns the crawl directories (names under root) whose
// manifest names caseID, sorted. It fails when root cannot be read.
func CaseCrawls(root, caseID string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read evidence directory: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		m, _, err := ReadManifest(filepath.Join(root, e.Name()))
		if err == nil && m.CaseID == caseID {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// WriteFile writes the package to a new file at path (mode 0600; an
// existing file is never overwritten). On failure no file is left at path.
func (p Package) WriteFile(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	err = p.Write(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", path, cerr)
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// Write verifies each crawl's evidence and writes the package to w. It
// refuses evidence that fails verification; on error, what it wrote to w
// is not a complete package.
func (p Package) Write(w io.Writer) error {
	var summary strings.Builder
	fmt.Fprintf(&summary, "Vigil evidence package of case %s\nWritten %s by %s\n\n", p.CaseID, time.Now().UTC().Format(time.RFC3339), ToolVersion())
	fmt.Fprintf(&summary, "Check it with: vigil evidence verify --pubkey <the exported signer key> <unzipped crawls/>\n\n")
	zw := zip.NewWriter(w)
	for _, crawl := range p.Crawls {
		if err := p.writeCrawl(zw, &summary, crawl); err != nil {
			return err
		}
	}
	var csvBuf bytes.Buffer
	if err := export.WriteCSV(&csvBuf, p.Findings); err != nil {
		return err
	}
	fmt.Fprintf(&summary, "Findings: %d (findings.csv)\n", len(p.Findings))
	for name, data := range map[string][]byte{"findings.csv": csvBuf.Bytes(), "SUMMARY.txt": []byte(summary.String())} {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			return fmt.Errorf("write %s into the zip: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write the evidence package: %w", err)
	}
	return nil
}

// writeCrawl verifies the evidence of one crawl, adds its files to zw and
// its account to summary.
func (p Package) writeCrawl(zw *zip.Writer, summary *strings.Builder, crawl string) error {
	dir := filepath.Join(p.Root, crawl)
	rep, err := Verify(dir, nil)
	if err != nil {
		return err
	}
	if !rep.OK() {
		if len(rep.Problems) == 0 {
			return errors.New("evidence of crawl " + crawl + " has no manifest")
		}
		return fmt.Errorf("evidence of crawl %s fails verification: %s", crawl, rep.Problems[0])
	}
	m, _, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(summary, "Crawl %s\n  legal authority: %s\n  operator: %s\n  seeds: %s\n  started %s, last batch ended %s\n  network: %s; tool %s (config %s)\n  %d WARC files, %d responses, %d bytes\n",
		crawl, m.LegalAuthority, m.Operator, strings.Join(m.Seeds, " "), m.StartedAt.Format(time.RFC3339), m.EndedAt.Format(time.RFC3339),
		m.Scope.Network, m.Tool.Version, m.Tool.ConfigDigest, m.Counts.Files, m.Counts.Responses, m.Counts.Bytes)
	names := []string{ManifestName, SignatureName, PublicKeyName}
	if _, err := os.Stat(filepath.Join(dir, TimestampName)); err == nil {
		names = append(names, TimestampName)
	}
	for _, wf := range m.Files {
		names = append(names, wf.Name)
		fmt.Fprintf(summary, "    %s  sha256 %s\n", wf.Name, wf.SHA256)
	}
	summary.WriteString("\n")
	for _, name := range names {
		if err := zipFile(zw, "crawls/"+crawl+"/"+name, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// zipFile copies the file at path into zw as name.
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
