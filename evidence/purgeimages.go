package evidence

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ImagePurgedField is the WARC field of the metadata record that replaced a
// response record whose payload was an image.
const ImagePurgedField = "Vigil-Image-Purged"

// Amendment records, in a manifest, a change made to one of its WARC files
// after the crawl: the file's SHA-256 before and after, and why.
type Amendment struct {
	At        time.Time `json:"at"`
	File      string    `json:"file"`
	Reason    string    `json:"reason"`
	OldSHA256 string    `json:"old_sha256"`
	NewSHA256 string    `json:"new_sha256"`
}

// ImagePurge is what PurgeImages changed.
type ImagePurge struct {
	// Files are the WARC files rewritten, relative to the root.
	Files []string
	// ImageRecords counts the response records whose payload was an
	// image, each replaced by a metadata record; DataRecords the response
	// records from whose payload data: images were taken out, and
	// DataImages those images.
	ImageRecords, DataRecords, DataImages int
	// Changes name each record changed: "crawl/file@offset: what".
	Changes []string
}

// ImageRules are the tests PurgeImages applies to each response payload:
// IsImage tells image bytes, Scrub returns a payload with its data: images
// taken out and their SHA-256s (none: the payload is kept).
type ImageRules struct {
	IsImage func(payload []byte) bool
	Scrub   func(payload []byte) ([]byte, []string)
}

// PurgeImages takes image bytes out of the WARC files of every crawl under
// root (an Archive's Dir; not an image store): a response record whose
// payload is an image is replaced by a metadata record that names its
// SHA-256 and size, and a payload with data: images is rewritten without
// them (ImagesRemovedField). Records are rewritten in place: each new gzip
// member is padded (a gzip comment) to its old length, so every Location an
// index holds stays valid. The manifest of each crawl changed lists the
// files' new SHA-256, records an Amendment per file and is signed again
// with key. A record that cannot be rewritten in its old length fails the
// purge of its file, which is left as it was.
func PurgeImages(root string, rules ImageRules, key ed25519.PrivateKey, now time.Time) (ImagePurge, error) {
	var rep ImagePurge
	paths, err := filepath.Glob(filepath.Join(root, "*", "*.warc.gz"))
	if err != nil {
		return rep, fmt.Errorf("evidence: %w", err)
	}
	sort.Strings(paths)
	amended := map[string][]Amendment{} // crawl dir → amendments
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		changed, err := purgeFile(p, rel, rules, now, &rep)
		if err != nil {
			return rep, err
		}
		if changed != nil {
			rep.Files = append(rep.Files, rel)
			amended[filepath.Dir(p)] = append(amended[filepath.Dir(p)], *changed)
		}
	}
	for dir, ams := range amended {
		if err := amendManifest(dir, ams, key); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// purgeFile rewrites one WARC file when a record of it holds image bytes,
// and returns the amendment (nil when nothing changed).
func purgeFile(path, rel string, rules ImageRules, now time.Time, rep *ImagePurge) (*Amendment, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	rd := NewReader(bytes.NewReader(raw))
	out := make([]byte, 0, len(raw))
	changed := false
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("evidence: purge images from %s: %w", rel, err)
		}
		member := raw[rec.Offset : rec.Offset+rec.Length]
		if rec.Type() == "response" {
			repl, what, err := purgeRecord(rec, rules, now)
			if err != nil {
				return nil, fmt.Errorf("evidence: purge images from %s@%d: %w", rel, rec.Offset, err)
			}
			if repl != nil {
				member, changed = repl, true
				rep.Changes = append(rep.Changes, fmt.Sprintf("%s@%d: %s", rel, rec.Offset, what))
				if strings.HasPrefix(what, "image") {
					rep.ImageRecords++
				} else {
					rep.DataRecords++
					rep.DataImages += strings.Count(what, "sha256:")
				}
			}
		}
		out = append(out, member...)
	}
	if !changed {
		return nil, nil
	}
	if err := writeFileAtomic(path, out); err != nil {
		return nil, fmt.Errorf("evidence: rewrite %s: %w", rel, err)
	}
	oldSum, newSum := sha256.Sum256(raw), sha256.Sum256(out)
	return &Amendment{At: now.UTC(), File: filepath.Base(path), Reason: "image bytes purged (vigil maintenance purge-images)",
		OldSHA256: hex.EncodeToString(oldSum[:]), NewSHA256: hex.EncodeToString(newSum[:])}, nil
}

// purgeRecord returns the gzip member that replaces a response record
// holding image bytes, of the record's length, and what it did; nil when
// the record holds none.
func purgeRecord(rec *Record, rules ImageRules, now time.Time) ([]byte, string, error) {
	resp, body, err := rec.Response()
	if err != nil {
		return nil, "", nil // not an HTTP response: nothing to judge
	}
	if rules.IsImage(body) {
		sum := sha256.Sum256(body)
		what := fmt.Sprintf("image payload removed (sha256:%s, %d bytes)", hex.EncodeToString(sum[:]), len(body))
		h := recordHeader{
			{"WARC-Type", "metadata"},
			{"WARC-Record-ID", newRecordID()},
			{"WARC-Date", now.UTC().Format(time.RFC3339Nano)},
			{"WARC-Target-URI", rec.Header.Get("WARC-Target-URI")},
			{"WARC-Refers-To", rec.Header.Get("WARC-Record-ID")},
			{"WARC-Concurrent-To", rec.Header.Get("WARC-Concurrent-To")},
			{"Content-Type", "application/warc-fields"},
			{ImagePurgedField, what},
		}
		m, err := paddedRecord(h, []byte("purged: "+what+"\r\n"), rec.Length)
		return m, what, err
	}
	clean, shas := rules.Scrub(body)
	if len(shas) == 0 {
		return nil, "", nil
	}
	block := responseBlock(Capture{Status: resp.StatusCode, Header: resp.Header, Body: clean})
	payload := sha256.Sum256(clean)
	var h recordHeader
	for _, k := range sortedKeys(rec.Header) {
		switch k {
		case "Warc-Block-Digest", "Content-Length":
		case "Warc-Payload-Digest":
			h = append(h, [2]string{"WARC-Payload-Digest", "sha256:" + hex.EncodeToString(payload[:])})
		default:
			h = append(h, [2]string{k, rec.Header.Get(k)})
		}
	}
	what := imagesRemovedValue(shas)
	h = append(h, [2]string{ImagesRemovedField, what})
	m, err := paddedRecord(h, block, rec.Length)
	return m, what, err
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // WARC-Type and WARC-Record-ID first, as written
		rank := func(k string) int {
			switch k {
			case "Warc-Type":
				return 0
			case "Warc-Record-Id":
				return 1
			}
			return 2
		}
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}

// paddedRecord encodes a record as a gzip member of exactly size bytes:
// the record is compressed, then padded with empty stored DEFLATE blocks
// (5 bytes each) and a gzip comment of spaces (2 to 511 bytes) that every
// gzip reader skips. When one byte is missing, a space at the end of the
// last field makes room.
func paddedRecord(h recordHeader, block []byte, size int64) ([]byte, error) {
	for range 2 {
		m, err := encodeRecord(h, block)
		if err != nil {
			return nil, err
		}
		raw, err := gunzip(m)
		if err != nil {
			return nil, err
		}
		if m, ok := padMember(raw, int(size)); ok {
			return m, nil
		}
		h[len(h)-1][1] += " "
	}
	return nil, errors.New("the rewritten record would not fit in the old one's place")
}

// padMember compresses raw into a gzip member of exactly size bytes, when
// it can.
func padMember(raw []byte, size int) ([]byte, bool) {
	if m := gzipMember(raw, 0, 0); len(m) == size {
		return m, true
	}
	base := len(gzipMember(raw, 1, 0)) // data, then one sync flush
	pad := size - base
	if pad < 0 {
		return nil, false
	}
	blocks, comment := pad/5, pad%5
	if comment == 1 {
		if blocks == 0 {
			return nil, false
		}
		blocks, comment = blocks-1, 6
	}
	m := gzipMember(raw, 1+blocks, max(comment-1, 0))
	return m, len(m) == size
}

// gzipMember compresses raw into one gzip member, with flushes sync
// flushes after the data (each past the first adds an empty stored block)
// and a comment of comment spaces (comment+1 bytes).
func gzipMember(raw []byte, flushes, comment int) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Header.Comment = strings.Repeat(" ", comment)
	zw.Write(raw)
	for range flushes {
		zw.Flush()
	}
	zw.Close()
	return out.Bytes()
}

func gunzip(m []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(m))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// amendManifest records the amendments in a crawl's manifest, with each
// file's new SHA-256, and signs it again.
func amendManifest(dir string, ams []Amendment, key ed25519.PrivateKey) error {
	m, _, err := ReadManifest(dir)
	if err != nil {
		return fmt.Errorf("evidence: amend the manifest of %s: %w", filepath.Base(dir), err)
	}
	for _, am := range ams {
		for i := range m.Files {
			if m.Files[i].Name == am.File {
				f, err := describeFile(filepath.Join(dir, am.File))
				if err != nil {
					return err
				}
				m.Counts.ImagesRemoved += f.ImagesRemoved - m.Files[i].ImagesRemoved
				m.Files[i] = f
			}
		}
	}
	m.Amendments = append(m.Amendments, ams...)
	// Offline maintenance reaches no TSA: the re-signed manifest has no
	// timestamp token (the stale one, over the old signature, is removed);
	// the amendment records what changed and when.
	return WriteManifest(context.Background(), dir, m, key, nil)
}
