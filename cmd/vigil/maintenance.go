package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"vigil"
	"vigil/cases/audit"
	"vigil/crawler"
	"vigil/evidence"
	"vigil/extractors/imagehash"
	"vigil/store/embedded"
)

func newMaintenanceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "maintenance",
		Short: "Repair the data of a stopped vigil (offline)",
	}
	cmd.AddCommand(newPurgeImagesCmd())
	return cmd
}

func newPurgeImagesCmd() *cobra.Command {
	var dataDir, user string
	cmd := &cobra.Command{
		Use:   "purge-images --data DIR",
		Short: "Find image bytes that earlier versions kept among the pages, hash them and remove them (audited)",
		Long: `purge-images finds the image bytes that versions of vigil before the
one-rule fetch boundary kept in a data directory, and removes them:

  - raw captures (DATA/index/captures) whose bytes are an image: hashed into
    the image index (so vigil match finds them, on the page that was
    captured), then deleted; the document keeps its metadata, its text and
    title are emptied;
  - captures holding data: images: each image hashed, and replaced by
    vigil:removed-image:sha256:HEX; the document's SHA-256 and size follow;
  - then, when a document changed, the full-text index of documents is
    dropped (vigil rebuilds it from the records at its next start) and the
    bbolt files (index records, crawl state) are compacted, so that no
    freed page keeps an old copy;
  - WARC response records whose payload is an image (replaced by a metadata
    record naming its SHA-256) or holds data: images (rewritten without
    them), in place, offsets unchanged; each manifest records the change
    and is signed again.

The image store (DATA/images, --evidence-keep-images) is left alone. Run it
with vigil stopped: the embedded index belongs to one process. It prints
what it removed and records it in the audit log. Running it again finds
nothing more.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataDir == "" {
				return usagef("--data is required")
			}
			rep, err := purgeImages(cmd.Context(), dataDir, user, time.Now())
			rep.print(cmd.OutOrStdout())
			return err
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "", "data directory of a stopped vigil up (or vigil serve)")
	cmd.Flags().StringVar(&user, "user", envOr("USER", "unknown"), "who purges, for the audit log")
	return cmd
}

// imagePurgeReport is what purgeImages removed.
type imagePurgeReport struct {
	Captures   []string // "ID (URL): what"
	ImageFiles int      // captures that were images, deleted
	DataFiles  int      // captures with data: images, rewritten
	DataImages int      // data: images taken out of captures
	Hashed     int      // images hashed into the image index
	WARC       evidence.ImagePurge
}

func (r imagePurgeReport) print(w io.Writer) {
	for _, c := range r.Captures {
		fmt.Fprintf(w, "capture %s\n", c)
	}
	for _, c := range r.WARC.Changes {
		fmt.Fprintf(w, "warc %s\n", c)
	}
	fmt.Fprintf(w, "%s\n", r.summary())
}

func (r imagePurgeReport) summary() string {
	return fmt.Sprintf("purged %d image captures and %d data: images from %d captures (%d images hashed); WARC: %d image records and %d data: images from %d records in %d files",
		r.ImageFiles, r.DataImages, r.DataFiles, r.Hashed, r.WARC.ImageRecords, r.WARC.DataImages, r.WARC.DataRecords, len(r.WARC.Files))
}

// purgeImages is `vigil maintenance purge-images`: captures first, then
// WARC files, then the audit entry (written even when a step failed, with
// the error).
func purgeImages(ctx context.Context, dataDir, user string, now time.Time) (rep imagePurgeReport, err error) {
	auditLog, err := audit.Open(filepath.Join(dataDir, "audit.log"))
	if err != nil {
		return rep, err
	}
	defer auditLog.Close()
	defer func() {
		result := rep.summary()
		if err != nil {
			result = "error: " + err.Error() + "; " + result
		}
		if aerr := auditLog.Record(audit.Entry{User: user, Action: "maintenance.purge-images",
			Query: map[string]string{"data": dataDir}, Result: result}); aerr != nil && err == nil {
			err = aerr
		}
	}()
	if err := purgeCaptures(ctx, dataDir, &rep); err != nil {
		return rep, err
	}
	if _, serr := os.Stat(evidenceDir(dataDir)); errors.Is(serr, fs.ErrNotExist) {
		return rep, nil
	}
	key, err := evidence.LoadOrCreateKey(evidenceKeyPath(dataDir))
	if err != nil {
		return rep, err
	}
	rules := evidence.ImageRules{IsImage: isImage, Scrub: func(b []byte) ([]byte, []string) {
		clean, images := crawler.ScrubDataImages(b)
		shas := make([]string, len(images))
		for i, im := range images {
			shas[i] = im.SHA256
		}
		return clean, shas
	}}
	rep.WARC, err = evidence.PurgeImages(evidenceDir(dataDir), rules, key, now)
	return rep, err
}

// purgeCaptures deletes the captures that are images and takes the data:
// images out of the others, hashing every image into the index first.
func purgeCaptures(ctx context.Context, dataDir string, rep *imagePurgeReport) error {
	dir := captureDir(dataDir)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dataDir, "index")})
	if err != nil {
		return fmt.Errorf("open the index (is vigil running? stop it first): %w", err)
	}
	p := &capturePurger{ctx: ctx, store: store, hasher: imagehash.New(imagehash.Config{}), rep: rep}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		return p.purge(d.Name(), path)
	})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil || rep.ImageFiles+rep.DataFiles == 0 {
		return err
	}
	return dropStaleCopies(dataDir)
}

// dropStaleCopies removes what may still hold the old text of the
// documents changed: the documents' full-text index (derived data, rebuilt
// from the records at the next start) and the pages bbolt freed, by
// compacting the index's records and the crawl state.
func dropStaleCopies(dataDir string) error {
	if err := os.RemoveAll(filepath.Join(dataDir, "index", "docs.bleve")); err != nil {
		return err
	}
	for _, p := range []string{filepath.Join(dataDir, "index", "vigil.db"), crawlStatePath(dataDir)} {
		if err := compactBolt(p); err != nil {
			return err
		}
	}
	return nil
}

// compactBolt rewrites the bbolt file at path without its free pages (a
// missing file is left missing).
func compactBolt(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	defer src.Close()
	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// capturePurger purges the captures of one index.
type capturePurger struct {
	ctx    context.Context
	store  *embedded.Store
	hasher *imagehash.Hasher
	rep    *imagePurgeReport
}

// purge purges the capture of document id, at path.
func (p *capturePurger) purge(id, path string) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := p.store.Document(p.ctx, id)
	if err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND {
		return err
	}
	if isImage(body) {
		p.hash(doc, doc.URL, body)
		if err := os.Remove(path); err != nil {
			return err
		}
		p.rep.ImageFiles++
		p.rep.Captures = append(p.rep.Captures, fmt.Sprintf("%s (%s): image deleted (%d bytes)", id, doc.URL, len(body)))
		doc.Text, doc.Title, doc.Size, doc.SHA256 = "", "", 0, ""
		return p.putDocument(doc)
	}
	clean, images := crawler.ScrubDataImages(body)
	if len(images) == 0 {
		return nil
	}
	for _, im := range images {
		p.hash(doc, im.Ref, im.Bytes)
	}
	if err := p.store.PutCapture(p.ctx, id, clean); err != nil {
		return err
	}
	p.rep.DataFiles++
	p.rep.DataImages += len(images)
	p.rep.Captures = append(p.rep.Captures, fmt.Sprintf("%s (%s): %d data: images taken out", id, doc.URL, len(images)))
	doc.Size, doc.SHA256 = len(clean), sha256Hex(clean)
	text, _ := crawler.ScrubDataImages([]byte(doc.Text))
	doc.Text = string(text)
	return p.putDocument(doc)
}

// hash indexes the hashes of an image found in doc's capture, with doc's
// page as its page of origin. An image that does not decode is not hashed.
func (p *capturePurger) hash(doc vigil.Document, imageURL string, data []byte) {
	hs, err := p.hasher.Hash(data)
	if err != nil || doc.ID == "" {
		return
	}
	img := vigil.Image{ID: vigil.ImageID(doc.CrawlID, doc.URL, imageURL), URL: imageURL, PageURL: doc.URL,
		DocumentID: doc.ID, CrawlID: doc.CrawlID, CaseID: doc.CaseID, Site: doc.Site, Width: hs.Width, Height: hs.Height,
		Size: len(data), SHA256: hs.SHA256, MD5: hs.MD5, PDQ: hs.PDQ, PDQQuality: hs.PDQQuality, PHash: hs.PHash, CapturedAt: doc.CapturedAt}
	if p.store.PutImages(p.ctx, []vigil.Image{img}) == nil {
		p.rep.Hashed++
	}
}

func (p *capturePurger) putDocument(doc vigil.Document) error {
	if doc.ID == "" {
		return nil // a capture without a document: nothing to update
	}
	return p.store.PutDocuments(p.ctx, []vigil.Document{doc})
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
