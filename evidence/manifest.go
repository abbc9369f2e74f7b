package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"vigil"
	"vigil/internal/atomicfile"
)

// File names in a crawl's evidence directory.
const (
	ManifestName   = "manifest.json"
	SignatureName  = "manifest.json.sig" // base64 Ed25519 signature of manifest.json's bytes
	PublicKeyName  = "signer.pub"        // PEM public key of the signer, for convenience (not trust)
	ManifestFormat = "vigil-evidence-manifest/1"
)

// Manifest describes one crawl's evidence: who ran it under which authority,
// what it was allowed to reach, with which tool, and every WARC file it
// produced with its SHA-256. It is signed with Ed25519 (see WriteManifest).
type Manifest struct {
	Format         string    `json:"format"`
	CaseID         string    `json:"case_id"`
	CrawlID        string    `json:"crawl_id"`
	LegalAuthority string    `json:"legal_authority"` // warrant or authorisation reference
	Operator       string    `json:"operator"`
	Seeds          []string  `json:"seeds"`
	Scope          Scope     `json:"scope"`
	Tool           Tool      `json:"tool"`
	TorIsolation   Isolation `json:"tor_isolation"`
	StartedAt      time.Time `json:"started_at"`
	// EndedAt is the end of the latest batch written: the manifest is
	// refreshed and signed again after every batch, so the last one
	// describes the whole crawl.
	EndedAt time.Time  `json:"ended_at"`
	Files   []FileInfo `json:"files"`
	Counts  Counts     `json:"counts"`
	// RedactedHeaders names the HTTP headers whose cookie values the WARC
	// records replace with RedactedValue (names and attributes kept): an
	// undercover account's session is not evidence to hand over.
	RedactedHeaders []string `json:"redacted_headers,omitempty"`
	PublicKey       string   `json:"public_key"` // base64 of the Ed25519 public key that signs this manifest
	// Amendments are changes made to the files after the crawl (image
	// bytes purged), each with the file's SHA-256 before and after.
	Amendments []Amendment `json:"amendments,omitempty"`
	// AuditCheckpoint is the audit log's latest signed checkpoint when the
	// manifest was written: a copy of the log's head outside the log
	// (vigil audit verify checks it against the log).
	AuditCheckpoint *vigil.AuditCheckpoint `json:"audit_checkpoint,omitempty"`
}

// Scope is what a crawl was allowed to fetch and how.
type Scope struct {
	Hosts       []string `json:"hosts"`
	MaxDepth    int      `json:"max_depth"` // 0: unlimited
	MaxPages    int      `json:"max_pages,omitempty"`
	Robots      string   `json:"robots"`  // how robots.txt was treated
	Network     string   `json:"network"` // "tor" or "direct" (lab mode)
	Concurrency int      `json:"concurrency,omitempty"`
	UserAgent   string   `json:"user_agent,omitempty"`
	FetchImages bool     `json:"fetch_images"`
	KeepImages  bool     `json:"keep_images"` // image payloads written to the WARC files
	// Images states how images were treated (ImagePolicy, or the image
	// store's own policy).
	Images string `json:"images,omitempty"`
}

// KeptImagesPolicy is the Scope.Images of an image store: an archive with
// KeepImages set, apart from the pages.
const KeptImagesPolicy = "image store: the images the crawl reached, kept because image keeping was configured; no page is written here"

// ImagePolicy is the Scope.Images of a page archive.
const ImagePolicy = "a response whose bytes are an image is hashed and never written here; " +
	"data: images are taken out of page bodies, each replaced by vigil:removed-image:sha256:HEX " +
	"(the record's " + ImagesRemovedField + " field lists them)"

// Tool names the software that made the captures. ConfigDigest is the
// SHA-256 (hex) of the JSON of the manifest's Scope.
type Tool struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	ConfigDigest string `json:"config_digest"`
}

// Isolation records the Tor circuit isolation of a crawl: every site got its
// own SOCKS username (Key + "/" + host:port), and so its own circuit.
type Isolation struct {
	Key   string            `json:"key,omitempty"`
	Sites map[string]string `json:"sites,omitempty"` // host:port → SOCKS username
}

// Counts are the totals over a manifest's files.
type Counts struct {
	Files     int   `json:"files"`
	Records   int   `json:"records"`
	Responses int   `json:"responses"`
	Bytes     int64 `json:"bytes"`
	// ImagesRemoved counts the response records whose payload had data:
	// images taken out.
	ImagesRemoved int `json:"images_removed,omitempty"`
}

// ToolVersion returns the module version and VCS revision of the running
// binary, as far as the build recorded them.
func ToolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}

// ConfigDigest returns the hex SHA-256 of the JSON of s.
func ConfigDigest(s Scope) string {
	raw, _ := json.Marshal(s)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// LoadOrCreateKey returns the Ed25519 signing key kept at path (PKCS #8
// PEM). On first use it generates one and writes it with mode 0600. It
// refuses a key file that others may read or write. Processes that start
// together on one volume may call it at once: one creates the key, the
// others read that key, and none sees a partly written file.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("evidence: read signing key: %w", err)
	}
	return parseKey(path, raw)
}

// createKey generates a signing key and publishes it at path in one step:
// the key is written and synced to a temporary file beside path, which is
// then hard-linked to path. The link fails when path exists, so a caller
// that loses a race with another creating the key returns the winner's key.
func createKey(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("evidence: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("evidence: encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("evidence: create signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	werr := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if werr == nil {
		werr = tmp.Sync()
	}
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return nil, fmt.Errorf("evidence: write signing key: %w", werr)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("evidence: read signing key: %w", err)
		}
		return parseKey(path, raw)
	} else if err != nil {
		return nil, fmt.Errorf("evidence: create signing key: %w", err)
	}
	return priv, nil
}

// parseKey checks the mode of the key file at path and parses its content
// raw.
func parseKey(path string, raw []byte) (ed25519.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("evidence: signing key %s has mode %v; want 0600", path, st.Mode().Perm())
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("evidence: %s holds no PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("evidence: parse signing key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("evidence: %s is not an Ed25519 key", path)
	}
	return priv, nil
}

// PublicKeyPEM returns pub as a PKIX PEM block, for export.
func PublicKeyPEM(pub ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKeyPEM parses what PublicKeyPEM returns.
func ParsePublicKeyPEM(raw []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("evidence: no PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("evidence: parse public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("evidence: the public key is not Ed25519")
	}
	return pub, nil
}

// WriteManifest writes m (its Format and PublicKey set from key) to dir as
// manifest.json, its signature as manifest.json.sig and the public key as
// signer.pub; with a Timestamper, the RFC 3161 token of the signature as
// manifest.json.sig.tst (without one, a token left from an earlier
// signature is removed). A Timestamper's error is returned and nothing is
// written. Each file is written to a temporary name and renamed, so a
// reader never sees half a manifest. The manifest is renamed last, after
// its signature and token, so a crash in between leaves a set that fails
// Verify rather than a new manifest that looks signed.
func WriteManifest(ctx context.Context, dir string, m Manifest, key ed25519.PrivateKey, ts Timestamper) error {
	m.Format = ManifestFormat
	pub := key.Public().(ed25519.PublicKey)
	m.PublicKey = base64.StdEncoding.EncodeToString(pub)
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("evidence: encode manifest: %w", err)
	}
	raw = append(raw, '\n')
	rawSig := ed25519.Sign(key, raw)
	sig := base64.StdEncoding.EncodeToString(rawSig) + "\n"
	files := []namedFile{{PublicKeyName, PublicKeyPEM(pub)}, {SignatureName, []byte(sig)}}
	if ts != nil {
		token, err := ts.Timestamp(ctx, rawSig)
		if err != nil {
			return fmt.Errorf("evidence: timestamp the manifest signature of %s: %w", filepath.Base(dir), err)
		}
		files = append(files, namedFile{TimestampName, token})
	} else if err := os.Remove(filepath.Join(dir, TimestampName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("evidence: remove an old timestamp token: %w", err)
	}
	files = append(files, namedFile{ManifestName, raw})
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

type namedFile struct {
	name string
	data []byte
}

func writeFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("evidence: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ReadManifest reads and parses dir's manifest without checking it.
func ReadManifest(dir string) (Manifest, []byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("evidence: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return Manifest{}, raw, fmt.Errorf("evidence: %s: %w", ManifestName, err)
	}
	return m, raw, nil
}

// Problem is one thing Verify found wrong, naming the file (relative to the
// directory verified) and, for a bad record, its offset (else -1).
type Problem struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	if p.Offset >= 0 {
		return fmt.Sprintf("%s at offset %d: %s", p.File, p.Offset, p.Reason)
	}
	return p.File + ": " + p.Reason
}

// Report is the result of Verify.
type Report struct {
	Manifests []string  // manifest paths checked, relative to the directory
	Files     int       // WARC files re-hashed
	Records   int       // records whose digests were checked
	Problems  []Problem // empty when everything verified
	// Pinned says the signatures were checked against a caller-supplied
	// key; otherwise against the key each manifest names, which proves
	// integrity since signing but not who signed.
	Pinned bool
	// Stamps are the timestamp tokens verified, one per manifest that has
	// one.
	Stamps []Stamp
	// TSAPinned says the tokens' certificate chains were checked against
	// trusted TSA roots (VerifyOptions.TSARoots), and every manifest was
	// required to have a token.
	TSAPinned bool
}

// OK reports whether nothing was wrong.
func (r Report) OK() bool { return len(r.Problems) == 0 && len(r.Manifests) > 0 }

// VerifyOptions say what Verify checks signatures and timestamps against.
// The zero value trusts the key each manifest names and checks a
// timestamp token, where there is one, without its certificate chain.
type VerifyOptions struct {
	// PublicKey pins the Ed25519 key every manifest must be signed with.
	PublicKey ed25519.PublicKey
	// TSARoots, when set, are the trusted roots of Time-Stamping
	// Authorities: every manifest must then have a timestamp token whose
	// TSA certificate chains to one of them.
	TSARoots *x509.CertPool
}

// Verify is VerifyWith with the signer's key pub (nil: the key each
// manifest names) and no trusted TSA roots.
func Verify(dir string, pub ed25519.PublicKey) (Report, error) {
	return VerifyWith(dir, VerifyOptions{PublicKey: pub})
}

// VerifyWith checks the evidence under dir: dir itself when it holds a
// manifest, else every immediate subdirectory that does. For each manifest
// it checks the Ed25519 signature (against o.PublicKey when set, else the
// key the manifest names) and the signature's timestamp token (see
// VerifyOptions), re-hashes every WARC file it lists, re-checks every
// record's block and payload digests, and reports WARC files on disk that
// the manifest does not list. It returns an error only when it cannot look
// (no manifest at all, unreadable directory); what is wrong is in Problems.
func VerifyWith(dir string, o VerifyOptions) (Report, error) {
	rep := Report{Pinned: o.PublicKey != nil, TSAPinned: o.TSARoots != nil}
	var dirs []string
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); err == nil {
		dirs = []string{"."}
	} else {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return rep, fmt.Errorf("evidence: %w", err)
		}
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), ManifestName)); e.IsDir() && err == nil {
				dirs = append(dirs, e.Name())
			}
		}
	}
	if len(dirs) == 0 {
		return rep, fmt.Errorf("evidence: no %s in %s or its subdirectories", ManifestName, dir)
	}
	for _, d := range dirs {
		verifyOne(dir, d, o, &rep)
	}
	return rep, nil
}

func verifyOne(root, rel string, o VerifyOptions, rep *Report) {
	dir := filepath.Join(root, rel)
	name := func(f string) string { return filepath.ToSlash(filepath.Join(rel, f)) }
	rep.Manifests = append(rep.Manifests, name(ManifestName))
	bad := func(file string, off int64, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{File: name(file), Offset: off, Reason: fmt.Sprintf(format, args...)})
	}
	m, raw, err := ReadManifest(dir)
	if err != nil {
		bad(ManifestName, -1, "%v", err)
		return
	}
	pub := o.PublicKey
	if pub == nil {
		k, err := base64.StdEncoding.DecodeString(m.PublicKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			bad(ManifestName, -1, "no valid public_key")
			return
		}
		pub = k
	}
	sigText, err := os.ReadFile(filepath.Join(dir, SignatureName))
	if err != nil {
		bad(SignatureName, -1, "%v", err)
	} else if sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText))); err != nil {
		bad(SignatureName, -1, "not base64: %v", err)
	} else if !ed25519.Verify(pub, raw, sig) {
		bad(ManifestName, -1, "the Ed25519 signature does not verify (the manifest or its signature was changed, or another key signed it)")
	} else {
		verifyStamp(dir, sig, o.TSARoots, rep, name, bad)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == "" || f.Name == "." || f.Name == ".." {
			bad(ManifestName, -1, "file name %q is not a plain name", f.Name)
			continue
		}
		listed[f.Name] = true
		path := filepath.Join(dir, f.Name)
		sum, size, err := hashFile(path)
		if err != nil {
			bad(f.Name, -1, "%v", err)
			continue
		}
		rep.Files++
		if sum != f.SHA256 || size != f.Size {
			bad(f.Name, -1, "sha256 %s (%d bytes) does not match the manifest's %s (%d bytes)", sum, size, f.SHA256, f.Size)
		}
		recs, off, err := verifyRecords(path)
		rep.Records += recs
		if err != nil {
			bad(f.Name, off, "%v", err)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".warc.gz") && !listed[e.Name()] {
			bad(e.Name(), -1, "WARC file not listed in the manifest")
		}
	}
}

// verifyStamp checks the timestamp token of a crawl directory's verified
// signature sig, if there is one; with roots a token is required.
func verifyStamp(dir string, sig []byte, roots *x509.CertPool, rep *Report, name func(string) string, bad func(string, int64, string, ...any)) {
	token, err := os.ReadFile(filepath.Join(dir, TimestampName))
	if errors.Is(err, fs.ErrNotExist) {
		if roots != nil {
			bad(TimestampName, -1, "no timestamp token, and trusted TSA roots were given")
		}
		return
	} else if err != nil {
		bad(TimestampName, -1, "%v", err)
		return
	}
	st, err := VerifyTimestamp(token, sig, roots)
	if err != nil {
		bad(TimestampName, -1, "%v", err)
		return
	}
	st.Manifest = name(ManifestName)
	rep.Stamps = append(rep.Stamps, st)
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// verifyRecords reads every record of a WARC file and checks its digests,
// returning the number checked and, on failure, the offset of the bad record.
func verifyRecords(path string) (int, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, -1, err
	}
	defer f.Close()
	rd := NewReader(f)
	n := 0
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return n, -1, nil
		}
		if err != nil {
			return n, rd.cr.n, err
		}
		n++
		if err := r.Verify(); err != nil {
			return n, r.Offset, err
		}
	}
}

// sortFiles orders files by name.
func sortFiles(fs []FileInfo) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
}
