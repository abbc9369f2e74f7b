package evidence

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"vigil"
)

// ArchiveConfig configures an Archive. Dir and Key are required.
type ArchiveConfig struct {
	// Dir holds one directory per crawl, named by the crawl ID.
	Dir string
	// Key signs every manifest (see LoadOrCreateKey).
	Key ed25519.PrivateKey
	// KeepImages writes image responses too; off by default (victim
	// safety). It is for an image store of its own: page archives never
	// hold images.
	KeepImages bool
	// IsImage tells image responses by their bytes (Config.IsImage).
	IsImage func(body []byte) bool
	// MaxFileBytes rotates WARC files; 0 means DefaultMaxFileBytes.
	MaxFileBytes int64
	// Operator and LegalAuthority go into every manifest (per deployment,
	// until crawl requests carry their own).
	Operator       string
	LegalAuthority string
	// CaseAuthority, when set, returns the legal authority reference of a
	// case (the case registry's); a non-empty answer is named in the
	// manifests of the case's crawls instead of LegalAuthority.
	CaseAuthority func(caseID string) string
	// ToolName and ToolVersion name the software; "" means "vigil" and
	// ToolVersion().
	ToolName, ToolVersion string
	// Network says how the crawls reach sites: "" or "tor" (a circuit per
	// site, recorded in each manifest), or "direct" (lab mode: no Tor, and
	// no isolation is claimed).
	Network string
	// Timestamper, when set, stamps every manifest signature with an
	// RFC 3161 token (TSAClient); EndBatch fails when it cannot, so the
	// batch is retried rather than left unstamped.
	Timestamper Timestamper
	// AuditCheckpoint, when set, returns the audit log's latest signed
	// checkpoint (nil when there is none), mirrored into every manifest.
	AuditCheckpoint func() *vigil.AuditCheckpoint
}

// Run describes the crawl a batch belongs to, for its manifest.
type Run struct {
	CaseID    string
	Seeds     []string
	Scope     Scope
	StartedAt time.Time
	// IsolationKey is the Tor isolation key of the crawl ("" when the crawl
	// did not go through Tor); each site's SOCKS username is
	// IsolationKey + "/" + host:port.
	IsolationKey string
}

// Archive writes the WARC files and manifests of many crawls under one
// directory: <Dir>/<crawl ID>/b<batch>-<seq>.warc.gz, manifest.json,
// manifest.json.sig, signer.pub. Its methods are safe for concurrent use.
//
// A batch attempt's files replace those of an earlier, failed attempt of the
// same batch. EndBatch seals a batch's files and refreshes the crawl's
// signed manifest, which then lists every WARC file in the crawl directory.
type Archive struct {
	cfg ArchiveConfig

	mu      sync.Mutex
	batches map[batchKey]*Writer
	known   map[string]FileInfo        // path → sealed file, as written or last hashed
	sites   map[string]map[string]bool // crawl ID → host:port seen
}

type batchKey struct {
	crawl string
	batch int
}

// NewArchive returns an Archive for cfg.
func NewArchive(cfg ArchiveConfig) (*Archive, error) {
	if cfg.Dir == "" || len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("evidence: an archive needs a directory and an Ed25519 key")
	}
	if cfg.ToolName == "" {
		cfg.ToolName = "vigil"
	}
	if cfg.ToolVersion == "" {
		cfg.ToolVersion = ToolVersion()
	}
	return &Archive{cfg: cfg, batches: map[batchKey]*Writer{}, known: map[string]FileInfo{}, sites: map[string]map[string]bool{}}, nil
}

// CrawlDir returns the evidence directory of a crawl.
func (a *Archive) CrawlDir(crawlID string) string { return filepath.Join(a.cfg.Dir, crawlID) }

func validCrawlID(id string) error {
	if id == "" || len(id) > 200 || id == "." || id == ".." || strings.ContainsAny(id, `/\`+"\x00") {
		return fmt.Errorf("evidence: crawl ID %q cannot name a directory", id)
	}
	return nil
}

// WriteCapture writes c into the WARC files of batch batch of crawl crawlID
// and returns its Location (zero for an image not kept).
func (a *Archive) WriteCapture(crawlID string, batch int, c Capture) (Location, error) {
	w, err := a.writer(crawlID, batch)
	if err != nil {
		return Location{}, err
	}
	loc, err := w.WriteCapture(c)
	if err == nil && loc.File != "" {
		if u, perr := url.Parse(c.URL); perr == nil {
			a.mu.Lock()
			a.sites[crawlID][hostPort(u)] = true
			a.mu.Unlock()
		}
	}
	return loc, err
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func (a *Archive) writer(crawlID string, batch int) (*Writer, error) {
	if err := validCrawlID(crawlID); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := batchKey{crawlID, batch}
	if w := a.batches[k]; w != nil {
		return w, nil
	}
	dir := a.CrawlDir(crawlID)
	prefix := fmt.Sprintf("b%06d", batch)
	// Files of an earlier attempt of this batch are replaced, not mixed in.
	old, _ := filepath.Glob(filepath.Join(dir, prefix+"-*.warc.gz"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("evidence: remove the files of an earlier attempt: %w", err)
		}
		delete(a.known, p)
	}
	w, err := NewWriter(Config{Dir: dir, Prefix: prefix, MaxFileBytes: a.cfg.MaxFileBytes, KeepImages: a.cfg.KeepImages, IsImage: a.cfg.IsImage,
		Software: a.cfg.ToolName + " " + a.cfg.ToolVersion, Info: map[string]string{"crawl": crawlID, "batch": fmt.Sprint(batch)}})
	if err != nil {
		return nil, err
	}
	a.batches[k] = w
	if a.sites[crawlID] == nil {
		a.sites[crawlID] = map[string]bool{}
	}
	return w, nil
}

// AbortBatch closes a batch's writer without refreshing the manifest; its
// files stay on disk, unlisted, until the batch is attempted again.
func (a *Archive) AbortBatch(crawlID string, batch int) {
	a.mu.Lock()
	w := a.batches[batchKey{crawlID, batch}]
	delete(a.batches, batchKey{crawlID, batch})
	a.mu.Unlock()
	if w != nil {
		w.Close()
	}
}

// EndBatch seals the WARC files of a batch and writes the crawl's manifest
// again, signed, listing every WARC file of the crawl directory (files it
// did not write in this process are re-hashed and counted once). It is
// called after a batch with no captures too, to move EndedAt.
func (a *Archive) EndBatch(crawlID string, batch int, run Run) error {
	if err := validCrawlID(crawlID); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	dir := a.CrawlDir(crawlID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	if w := a.batches[batchKey{crawlID, batch}]; w != nil {
		delete(a.batches, batchKey{crawlID, batch})
		files, err := w.Close()
		if err != nil {
			return err
		}
		for _, f := range files {
			a.known[filepath.Join(dir, f.Name)] = f
		}
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.warc.gz"))
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	open := map[string]bool{}
	for k, w := range a.batches {
		if k.crawl == crawlID {
			w.mu.Lock()
			if w.f != nil {
				open[filepath.Join(dir, w.cur.Name)] = true
			}
			w.mu.Unlock()
		}
	}
	m := Manifest{
		CaseID: run.CaseID, CrawlID: crawlID, LegalAuthority: a.authority(run.CaseID), Operator: a.cfg.Operator,
		Seeds: run.Seeds, Scope: run.Scope, StartedAt: run.StartedAt.UTC(), EndedAt: time.Now().UTC(),
		Tool:            Tool{Name: a.cfg.ToolName, Version: a.cfg.ToolVersion, ConfigDigest: ConfigDigest(run.Scope)},
		RedactedHeaders: RedactedHeaders,
	}
	if a.cfg.AuditCheckpoint != nil {
		m.AuditCheckpoint = a.cfg.AuditCheckpoint()
	}
	m.Scope.KeepImages = a.cfg.KeepImages
	m.Scope.Images = ImagePolicy
	if a.cfg.KeepImages {
		m.Scope.Images = KeptImagesPolicy
	}
	m.Scope.Network = a.cfg.Network
	if m.Scope.Network == "" {
		m.Scope.Network = "tor"
	}
	m.Tool.ConfigDigest = ConfigDigest(m.Scope)
	for _, p := range paths {
		if open[p] {
			continue // a batch still being written; the next EndBatch lists it
		}
		f, ok := a.known[p]
		if !ok {
			if f, err = describeFile(p); err != nil {
				return err
			}
			a.known[p] = f
		}
		m.Files = append(m.Files, f)
		m.Counts.Files++
		m.Counts.Records += f.Records
		m.Counts.Bytes += f.Size
		m.Counts.Responses += (f.Records - 1) / 2
		m.Counts.ImagesRemoved += f.ImagesRemoved
	}
	sortFiles(m.Files)
	if run.IsolationKey != "" && m.Scope.Network != "direct" {
		m.TorIsolation.Key = run.IsolationKey
		m.TorIsolation.Sites = map[string]string{}
		for _, h := range run.Scope.Hosts {
			a.sites[crawlID] = ensure(a.sites[crawlID])
			if u, err := url.Parse("http://" + h); err == nil {
				a.sites[crawlID][hostPort(u)] = true
			}
		}
		for hp := range a.sites[crawlID] {
			m.TorIsolation.Sites[hp] = run.IsolationKey + "/" + hp
		}
	}
	sort.Strings(m.Seeds)
	return WriteManifest(context.Background(), dir, m, a.cfg.Key, a.cfg.Timestamper)
}

func ensure(m map[string]bool) map[string]bool {
	if m == nil {
		return map[string]bool{}
	}
	return m
}

// describeFile hashes a WARC file and counts its records.
func describeFile(path string) (FileInfo, error) {
	sum, size, err := hashFile(path)
	if err != nil {
		return FileInfo{}, fmt.Errorf("evidence: hash %s: %w", filepath.Base(path), err)
	}
	f, err := os.Open(path)
	if err != nil {
		return FileInfo{}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	rd := NewReader(f)
	n, removed := 0, 0
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return FileInfo{}, fmt.Errorf("evidence: read %s: %w", filepath.Base(path), err)
		}
		n++
		if rec.Header.Get(ImagesRemovedField) != "" {
			removed++
		}
	}
	return FileInfo{Name: filepath.Base(path), Size: size, SHA256: sum, Records: n, ImagesRemoved: removed}, nil
}

// PurgeCase removes, under an Archive's directory root, every crawl
// directory whose manifest names caseID (WARC files, manifest, signature),
// and returns the crawl IDs removed, sorted. It is the evidence part of a
// case purge; the caller records the purge in the audit log. A crawl
// directory without a readable manifest is left alone.
func PurgeCase(root, caseID string) ([]string, error) {
	if caseID == "" {
		return nil, errors.New("evidence: purge needs a case ID")
	}
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("evidence: purge case %s: %w", caseID, err)
	}
	var removed []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		m, _, err := ReadManifest(dir)
		if err != nil || m.CaseID != caseID {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return removed, fmt.Errorf("evidence: purge crawl %s of case %s: %w", e.Name(), caseID, err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// PurgeCrawls removes, under an Archive's directory root, the directories of
// the given crawls whatever their manifest says (a crawl still running has
// none yet), and returns the crawl IDs removed, sorted. IDs that are not a
// plain directory name are refused.
func PurgeCrawls(root string, crawlIDs []string) ([]string, error) {
	var removed []string
	for _, id := range crawlIDs {
		if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
			return removed, fmt.Errorf("evidence: purge: %q is not a crawl ID", id)
		}
		dir := filepath.Join(root, id)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return removed, fmt.Errorf("evidence: purge crawl %s: %w", id, err)
		}
		removed = append(removed, id)
	}
	sort.Strings(removed)
	return removed, nil
}

// authority is the legal authority reference of a case's manifests.
func (a *Archive) authority(caseID string) string {
	if a.cfg.CaseAuthority != nil && caseID != "" {
		if ref := a.cfg.CaseAuthority(caseID); ref != "" {
			return ref
		}
	}
	return a.cfg.LegalAuthority
}
