package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"vigil/cases"
	"vigil/crawler"
	"vigil/evidence"
)

// evidenceKeyPath returns where `vigil up` keeps the Ed25519 key that signs
// evidence manifests.
func evidenceKeyPath(dataDir string) string { return filepath.Join(dataDir, "keys", "evidence.key") }

// evidenceDir returns the directory of the per-crawl WARC files and manifests.
func evidenceDir(dataDir string) string { return filepath.Join(dataDir, "evidence") }

func newEvidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Check and export the signed WARC evidence of crawls (offline)",
	}
	cmd.AddCommand(newEvidenceVerifyCmd(), newEvidencePubkeyCmd(), newEvidenceExportCmd())
	return cmd
}

func newEvidenceVerifyCmd() *cobra.Command {
	var pubPath, tsaCA string
	cmd := &cobra.Command{
		Use:   "verify [--pubkey FILE] [--tsa-ca FILE] DIR",
		Short: "Re-hash every WARC file, re-check every record digest, the manifest signature and its timestamp",
		Long: `verify checks the evidence in DIR: a crawl's directory (holding manifest.json)
or the evidence directory of a data directory (one subdirectory per crawl).
It checks each manifest's Ed25519 signature and the RFC 3161 timestamp token
of that signature (manifest.json.sig.tst, when the server had --tsa-url),
re-hashes every WARC file the manifest lists, re-checks every record's block
and payload digests, and reports WARC files the manifest does not list. Exit
status 1 names every file that failed.

Without --pubkey the signature is checked against the key the manifest
names, which shows the files are unchanged since signing but not who signed:
pass the exported public key (vigil evidence pubkey) to pin the signer.

Without --tsa-ca a token's signature and message imprint (the SHA-256 of the
signature) are checked, not who issued it: pass the PEM certificates of the
TSA's CA (its trust file) to check each token's certificate chain too and to
require a token on every manifest.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := verifyOptions(pubPath, tsaCA)
			if err != nil {
				return err
			}
			rep, err := evidence.VerifyWith(args[0], opts)
			if err != nil {
				return err
			}
			return printVerifyReport(cmd.OutOrStdout(), rep, pubPath, tsaCA)
		},
	}
	cmd.Flags().StringVar(&pubPath, "pubkey", "", "PEM Ed25519 public key the manifests must be signed with")
	cmd.Flags().StringVar(&tsaCA, "tsa-ca", "", "PEM certificates of the trusted Time-Stamping Authority roots; every manifest must then carry a token that chains to them")
	return cmd
}

// printVerifyReport writes what evidence verify found and returns an error
// naming every failed file.
func printVerifyReport(out io.Writer, rep evidence.Report, pubPath, tsaCA string) error {
	for _, p := range rep.Problems {
		fmt.Fprintf(out, "FAIL %s\n", p)
	}
	if !rep.OK() {
		files := map[string]bool{}
		var names []string
		for _, p := range rep.Problems {
			if !files[p.File] {
				files[p.File] = true
				names = append(names, p.File)
			}
		}
		return fmt.Errorf("evidence verification failed: %s", strings.Join(names, ", "))
	}
	for _, st := range rep.Stamps {
		fmt.Fprintf(out, "TIMESTAMP %s: %s by %s (serial %s)\n", st.Manifest, st.Time.Format(time.RFC3339Nano), st.TSA, st.Serial)
	}
	signer := "the key each manifest names (not pinned: pass --pubkey)"
	if rep.Pinned {
		signer = pubPath
	}
	stamps := fmt.Sprintf("%d timestamp tokens checked without their certificate chain (pass --tsa-ca)", len(rep.Stamps))
	if rep.TSAPinned {
		stamps = fmt.Sprintf("%d timestamp tokens chain to %s", len(rep.Stamps), tsaCA)
	}
	fmt.Fprintf(out, "OK %d manifests, %d WARC files, %d records verified; signatures checked against %s; %s\n",
		len(rep.Manifests), rep.Files, rep.Records, signer, stamps)
	return nil
}

func newEvidencePubkeyCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "pubkey [--data DIR]",
		Short: "Print the public key that signs this installation's evidence manifests (PEM)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := evidenceKeyPath(dataDir)
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("no evidence key at %s: `vigil up --data %s` creates it", path, dataDir)
			}
			key, err := evidence.LoadOrCreateKey(path)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(evidence.PublicKeyPEM(key.Public().(ed25519.PublicKey)))
			return err
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "vigil-data", "data directory of `vigil up`")
	return cmd
}

// evidenceFlags are the `vigil up` settings of evidence archiving.
type evidenceFlags struct {
	Off            bool
	KeepImages     bool
	Operator       string
	LegalAuthority string
	MaxFileBytes   int64
	// TSAURL names the RFC 3161 Time-Stamping Authority that stamps every
	// manifest signature ("": none); TSAViaTor sends its requests through
	// the crawl network (Tor) instead of a direct connection.
	TSAURL    string
	TSAViaTor bool
}

func (e *evidenceFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&e.Off, "no-evidence", false, "do not write WARC evidence files and signed manifests under DATA/evidence")
	f.BoolVar(&e.KeepImages, "evidence-keep-images", false, "also keep the images crawls reach, in WARC files of their own under DATA/images (0700), downloadable by analysts only (off: victim safety)")
	f.StringVar(&e.Operator, "operator", envOr("USER", ""), "operator named in every evidence manifest")
	f.StringVar(&e.LegalAuthority, "legal-authority", "", "legal authority reference (warrant, order) named in every evidence manifest")
	f.Int64Var(&e.MaxFileBytes, "warc-max-bytes", evidence.DefaultMaxFileBytes, "size at which a WARC file is closed and the next started")
	f.StringVar(&e.TSAURL, "tsa-url", "", "RFC 3161 Time-Stamping Authority (http(s) URL) that stamps every manifest signature; none by default")
	f.BoolVar(&e.TSAViaTor, "tsa-via-tor", false, "send the timestamp requests through Tor (a circuit of their own) instead of directly")
}

// timestamper returns the manifests' Timestamper of e (nil without
// --tsa-url). Its requests go through crawlNet (the crawl's Tor transport
// for isolation key "vigil-tsa") with --tsa-via-tor, else directly.
func (e evidenceFlags) timestamper(crawlNet func(key string) (http.RoundTripper, error)) (evidence.Timestamper, error) {
	if e.TSAURL == "" {
		if e.TSAViaTor {
			return nil, usagef("--tsa-via-tor needs --tsa-url")
		}
		return nil, nil
	}
	u, err := url.Parse(e.TSAURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, usagef("--tsa-url wants an http(s) URL with a host and no credentials")
	}
	c := &evidence.TSAClient{URL: e.TSAURL}
	if e.TSAViaTor {
		if c.Transport, err = crawlNet("vigil-tsa"); err != nil {
			return nil, fmt.Errorf("the Tor transport of the TSA: %w", err)
		}
	}
	return c, nil
}

// imageStoreDir returns the directory of the image store: the WARC files of
// the images crawls reached, written only with --evidence-keep-images.
func imageStoreDir(dataDir string) string { return filepath.Join(dataDir, "images") }

// evidenceDirs are the directories a case purge removes a case's WARC
// files from: the pages' evidence and the image store.
func evidenceDirs(dataDir string) evidence.Dirs {
	return evidence.Dirs{evidence.Dir(evidenceDir(dataDir)), evidence.Dir(imageStoreDir(dataDir))}
}

// isImage is the evidence archives' test of image bytes: the crawler's one
// rule (crawler.Classify).
func isImage(body []byte) bool {
	c, _ := crawler.Classify(body)
	return c == crawler.ClassImage
}

// openEvidence returns the evidence archive under dataDir, creating its
// signing key (DATA/keys/evidence.key, 0600) on first use, and, with
// --evidence-keep-images, the image store (DATA/images, 0700): an archive
// of its own, never the pages'. Both are nil when evidence is off. With
// --tsa-url every manifest signature is timestamped (through crawlNet with
// --tsa-via-tor).
// Workers that start together on one volume may call it at once: one
// creates the key and all sign with it (evidence.LoadOrCreateKey).
func openEvidence(e evidenceFlags, dataDir string, direct bool, crawlNet func(key string) (http.RoundTripper, error)) (pages, images *evidence.Archive, err error) {
	if e.Off {
		return nil, nil, nil
	}
	stamper, err := e.timestamper(crawlNet)
	if err != nil {
		return nil, nil, err
	}
	key, err := evidence.LoadOrCreateKey(evidenceKeyPath(dataDir))
	if err != nil {
		return nil, nil, err
	}
	network := "tor"
	if direct {
		network = "direct"
	}
	cfg := evidence.ArchiveConfig{Dir: evidenceDir(dataDir), Key: key, IsImage: isImage,
		MaxFileBytes: e.MaxFileBytes, Operator: e.Operator, LegalAuthority: e.LegalAuthority, CaseAuthority: cases.AuthorityFrom(casesPath(dataDir)), Network: network,
		Timestamper: stamper, AuditCheckpoint: latestCheckpoint(auditPath(dataDir))}
	if pages, err = evidence.NewArchive(cfg); err != nil || !e.KeepImages {
		return pages, nil, err
	}
	dir := imageStoreDir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the image store: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("restrict the image store: %w", err)
	}
	cfg.Dir, cfg.KeepImages = dir, true
	images, err = evidence.NewArchive(cfg)
	return pages, images, err
}
