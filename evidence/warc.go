// Package evidence keeps what a crawl captured in a form that stands up as
// electronic evidence: WARC files (ISO 28500, WARC/1.1) with a SHA-256 digest
// of every record block and payload, one gzip member per record, and a
// signed manifest per crawl that lists every WARC file with its SHA-256.
//
// The WARC writer and reader are Vigil's own (a few hundred lines of the
// standard library) rather than a third-party module: the records Vigil needs
// are only warcinfo, request and response, and the reader is what the tests
// and `vigil evidence verify` use to check the writer.
package evidence

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxFileBytes is the size at which a WARC file is closed and the
// next one started, when Config.MaxFileBytes is 0.
const DefaultMaxFileBytes = 1 << 30

// Capture is one exchange to archive: the request sent and the response
// received.
type Capture struct {
	// Method is the request method; "" means GET.
	Method string
	// URL is the URL the response came from (after redirects); it becomes
	// the WARC-Target-URI of both records.
	URL string
	// RequestHeader is the header sent, as far as the caller knows it; may be nil.
	RequestHeader http.Header
	// Status is the response status code.
	Status int
	// Header is the response header. Content-Length, Content-Encoding and
	// Transfer-Encoding are rewritten to describe Body as stored (see
	// Writer.WriteCapture).
	Header http.Header
	// Body is the response body as the caller received it.
	Body []byte
	// Truncated says Body was cut at a size limit; the response record then
	// carries WARC-Truncated: length.
	Truncated bool
	// FetchedAt is when the response was received; it becomes WARC-Date.
	FetchedAt time.Time
	// ImagesRemoved lists the SHA-256 (hex) of the data: images that were
	// taken out of Body, each replaced by a placeholder naming its SHA-256:
	// Body is not the body as received. The response record says so in an
	// ImagesRemovedField.
	ImagesRemoved []string
}

// ImagesRemovedField is the WARC field of a response record whose payload
// had data: images taken out: their count and SHA-256s.
const ImagesRemovedField = "Vigil-Images-Removed"

// Location is where a capture's response record sits: the WARC file's base
// name, the offset of the record's gzip member in it, and the member's
// compressed length. A zero Location (File == "") means nothing was written.
type Location struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

// FileInfo describes a finished WARC file.
type FileInfo struct {
	Name    string `json:"name"` // base name, relative to the directory
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"` // lower-case hex of the whole file
	Records int    `json:"records"`
	// ImagesRemoved counts the response records whose payload had data:
	// images taken out (ImagesRemovedField).
	ImagesRemoved int `json:"images_removed,omitempty"`
}

// Config configures a Writer. Only Dir is required.
type Config struct {
	// Dir is the directory the WARC files are written to; it is created
	// (0700) when missing.
	Dir string
	// Prefix starts every file name: <Prefix>-<seq>.warc.gz, seq from 00000.
	// "" means "vigil".
	Prefix string
	// MaxFileBytes is the size after which the current file is closed and a
	// new one started (a file can exceed it by one capture); 0 means
	// DefaultMaxFileBytes.
	MaxFileBytes int64
	// KeepImages writes image responses. By default (false) they are not
	// written at all, for victim safety.
	KeepImages bool
	// IsImage, when set, tells an image response by its body's bytes
	// (Vigil passes crawler.Classify's rule); the Content-Type, which lies
	// both ways, is then not consulted. nil judges by Content-Type.
	IsImage func(body []byte) bool
	// Software names the tool in each file's warcinfo record.
	Software string
	// Info is added to each file's warcinfo record as "key: value" lines
	// (e.g. case, crawl, operator), in key order.
	Info map[string]string
}

// Writer writes captures into size-rotated, per-record-gzipped WARC files.
// Its methods are safe for concurrent use. Files are created with O_TRUNC:
// a Writer started again with the same Dir and Prefix replaces its files.
type Writer struct {
	cfg Config

	mu     sync.Mutex
	f      *os.File
	hash   hashWriter
	cur    FileInfo
	seq    int
	done   []FileInfo
	closed bool
}

// NewWriter returns a Writer for cfg. No file is created until the first
// capture is written.
func NewWriter(cfg Config) (*Writer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("evidence: no directory for the WARC files")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "vigil"
	}
	if strings.ContainsAny(cfg.Prefix, `/\`) {
		return nil, fmt.Errorf("evidence: WARC prefix %q contains a path separator", cfg.Prefix)
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("evidence: create %s: %w", cfg.Dir, err)
	}
	return &Writer{cfg: cfg}, nil
}

// IsImage reports whether a response header declares an image.
func IsImage(h http.Header) bool {
	ct := strings.ToLower(strings.TrimSpace(h.Get("Content-Type")))
	return strings.HasPrefix(ct, "image/")
}

// WriteCapture writes c as a request record and a response record and
// returns the response record's Location. An image response (Config.IsImage,
// or Content-Type image/*) is not written unless Config.KeepImages is set;
// the Location is then zero and the error nil.
//
// The response block is the status line, the header and Body as the caller
// received it: Content-Encoding and Transfer-Encoding are dropped (the body
// is stored decoded) and Content-Length is set to len(Body), so that the
// block is a well-formed HTTP message whose payload is exactly Body. Both
// records carry WARC-Block-Digest and the response WARC-Payload-Digest, as
// "sha256:" and lower-case hex.
func (w *Writer) WriteCapture(c Capture) (Location, error) {
	if !w.cfg.KeepImages && w.isImage(c) {
		return Location{}, nil
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return Location{}, fmt.Errorf("evidence: capture URL %q is not absolute", c.URL)
	}
	date := c.FetchedAt.UTC()
	if date.IsZero() {
		date = time.Now().UTC()
	}
	respID, reqID := newRecordID(), newRecordID()
	reqBlock := requestBlock(c, u)
	respBlock := responseBlock(c)
	payload := sha256.Sum256(c.Body)

	resp := recordHeader{
		{"WARC-Type", "response"},
		{"WARC-Record-ID", respID},
		{"WARC-Date", date.Format(time.RFC3339Nano)},
		{"WARC-Target-URI", c.URL},
		{"WARC-Concurrent-To", reqID},
		{"Content-Type", "application/http;msgtype=response"},
		{"WARC-Payload-Digest", "sha256:" + hex.EncodeToString(payload[:])},
	}
	if c.Truncated {
		resp = append(resp, [2]string{"WARC-Truncated", "length"})
	}
	if len(c.ImagesRemoved) > 0 {
		resp = append(resp, [2]string{ImagesRemovedField, imagesRemovedValue(c.ImagesRemoved)})
	}
	req := recordHeader{
		{"WARC-Type", "request"},
		{"WARC-Record-ID", reqID},
		{"WARC-Date", date.Format(time.RFC3339Nano)},
		{"WARC-Target-URI", c.URL},
		{"WARC-Concurrent-To", respID},
		{"Content-Type", "application/http;msgtype=request"},
	}
	respMember, err := encodeRecord(resp, respBlock)
	if err != nil {
		return Location{}, err
	}
	reqMember, err := encodeRecord(req, reqBlock)
	if err != nil {
		return Location{}, err
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Location{}, errors.New("evidence: write to a closed WARC writer")
	}
	if w.f != nil && w.cur.Size >= w.cfg.MaxFileBytes {
		if err := w.finish(); err != nil {
			return Location{}, err
		}
	}
	if w.f == nil {
		if err := w.open(); err != nil {
			return Location{}, err
		}
	}
	loc := Location{File: w.cur.Name, Offset: w.cur.Size, Length: int64(len(respMember))}
	if err := w.write(respMember); err != nil {
		return Location{}, err
	}
	if err := w.write(reqMember); err != nil {
		return Location{}, err
	}
	w.cur.Records += 2
	if len(c.ImagesRemoved) > 0 {
		w.cur.ImagesRemoved++
	}
	return loc, nil
}

func (w *Writer) isImage(c Capture) bool {
	if w.cfg.IsImage != nil {
		return w.cfg.IsImage(c.Body)
	}
	return IsImage(c.Header)
}

// imagesRemovedValue is the ImagesRemovedField of a record: "N data: images
// replaced by placeholders: sha256:HEX sha256:HEX …".
func imagesRemovedValue(shas []string) string {
	v := fmt.Sprintf("%d data: images replaced by placeholders:", len(shas))
	for _, s := range shas {
		v += " sha256:" + s
	}
	return v
}

// Close finishes the current file (synced to disk) and returns every file
// the Writer wrote, in order. Later writes fail; Close again returns the
// same list.
func (w *Writer) Close() ([]FileInfo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed && w.f != nil {
		if err := w.finish(); err != nil {
			return nil, err
		}
	}
	w.closed = true
	return append([]FileInfo(nil), w.done...), nil
}

func (w *Writer) open() error {
	name := fmt.Sprintf("%s-%05d.warc.gz", w.cfg.Prefix, w.seq)
	f, err := os.OpenFile(filepath.Join(w.cfg.Dir, name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("evidence: create WARC file: %w", err)
	}
	w.seq++
	w.f, w.hash, w.cur = f, hashWriter{w: f, h: sha256.New()}, FileInfo{Name: name}
	info := recordHeader{
		{"WARC-Type", "warcinfo"},
		{"WARC-Record-ID", newRecordID()},
		{"WARC-Date", time.Now().UTC().Format(time.RFC3339Nano)},
		{"WARC-Filename", name},
		{"Content-Type", "application/warc-fields"},
	}
	var fields bytes.Buffer
	software := w.cfg.Software
	if software == "" {
		software = "vigil"
	}
	fmt.Fprintf(&fields, "software: %s\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n", oneLine(software))
	keys := make([]string, 0, len(w.cfg.Info))
	for k := range w.cfg.Info {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&fields, "%s: %s\r\n", oneLine(k), oneLine(w.cfg.Info[k]))
	}
	member, err := encodeRecord(info, fields.Bytes())
	if err != nil {
		return err
	}
	if err := w.write(member); err != nil {
		return err
	}
	w.cur.Records++
	return nil
}

func (w *Writer) write(b []byte) error {
	if _, err := w.hash.Write(b); err != nil {
		return fmt.Errorf("evidence: write %s: %w", w.cur.Name, err)
	}
	w.cur.Size += int64(len(b))
	return nil
}

func (w *Writer) finish() error {
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		return fmt.Errorf("evidence: close %s: %w", w.cur.Name, err)
	}
	w.cur.SHA256 = hex.EncodeToString(w.hash.h.Sum(nil))
	w.done = append(w.done, w.cur)
	return nil
}

type hashWriter struct {
	w io.Writer
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (h hashWriter) Write(b []byte) (int, error) {
	n, err := h.w.Write(b)
	h.h.Write(b[:n])
	return n, err
}

// recordHeader is an ordered list of WARC named fields.
type recordHeader [][2]string

// encodeRecord returns one WARC record, block digest and length added, as a
// complete gzip member.
func encodeRecord(h recordHeader, block []byte) ([]byte, error) {
	sum := sha256.Sum256(block)
	var raw bytes.Buffer
	raw.WriteString("WARC/1.1\r\n")
	for _, f := range h {
		fmt.Fprintf(&raw, "%s: %s\r\n", f[0], oneLine(f[1]))
	}
	fmt.Fprintf(&raw, "WARC-Block-Digest: sha256:%s\r\n", hex.EncodeToString(sum[:]))
	fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(block))
	raw.Write(block)
	raw.WriteString("\r\n\r\n")
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, fmt.Errorf("evidence: compress record: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("evidence: compress record: %w", err)
	}
	return out.Bytes(), nil
}

func requestBlock(c Capture, u *url.URL) []byte {
	method := c.Method
	if method == "" {
		method = http.MethodGet
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	h := redactCookies(c.RequestHeader)
	if h != nil {
		h.Del("Host")
		h.Write(&b)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func responseBlock(c Capture) []byte {
	var b bytes.Buffer
	text := http.StatusText(c.Status)
	fmt.Fprintf(&b, "HTTP/1.1 %03d %s\r\n", c.Status, text)
	h := redactCookies(c.Header)
	if h == nil {
		h = http.Header{}
	}
	h.Del("Content-Encoding")
	h.Del("Transfer-Encoding")
	h.Set("Content-Length", strconv.Itoa(len(c.Body)))
	h.Write(&b)
	b.WriteString("\r\n")
	b.Write(c.Body)
	return b.Bytes()
}

func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// newRecordID returns a fresh <urn:uuid:…> (version 4).
func newRecordID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return "<urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + ">"
}

// Record is one WARC record read back.
type Record struct {
	Version string
	Header  http.Header // WARC named fields (canonical keys, e.g. "Warc-Type")
	Block   []byte
	// Offset and Length locate the record's gzip member in its file.
	Offset, Length int64
}

// Type returns the record's WARC-Type.
func (r *Record) Type() string { return r.Header.Get("WARC-Type") }

// Payload returns the payload of a response record: the HTTP body of its
// block. For other records it returns the block.
func (r *Record) Payload() ([]byte, error) {
	if r.Type() != "response" {
		return r.Block, nil
	}
	_, body, err := r.Response()
	return body, err
}

// Response parses the block of a response record into its HTTP response
// (the Body already read) and body.
func (r *Record) Response() (*http.Response, []byte, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(r.Block)), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("evidence: parse HTTP response of record %s: %w", r.Header.Get("WARC-Record-ID"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("evidence: read HTTP body of record %s: %w", r.Header.Get("WARC-Record-ID"), err)
	}
	return resp, body, nil
}

// Verify checks the record's WARC-Block-Digest and, when present, its
// WARC-Payload-Digest; it fails when either is missing, not sha256, or wrong.
func (r *Record) Verify() error {
	if err := checkDigest("WARC-Block-Digest", r.Header.Get("WARC-Block-Digest"), r.Block); err != nil {
		return err
	}
	if pd := r.Header.Get("WARC-Payload-Digest"); pd != "" {
		p, err := r.Payload()
		if err != nil {
			return err
		}
		return checkDigest("WARC-Payload-Digest", pd, p)
	}
	return nil
}

func checkDigest(name, labelled string, data []byte) error {
	algo, value, ok := strings.Cut(labelled, ":")
	if !ok || !strings.EqualFold(algo, "sha256") {
		return fmt.Errorf("evidence: %s %q is not a sha256 digest", name, labelled)
	}
	sum := sha256.Sum256(data)
	if !strings.EqualFold(value, hex.EncodeToString(sum[:])) {
		return fmt.Errorf("evidence: %s mismatch: recorded %s, computed sha256:%x", name, labelled, sum)
	}
	return nil
}

// Reader reads the records of a WARC file written one gzip member per record.
type Reader struct {
	cr  *countingReader
	zr  *gzip.Reader
	err error
}

// NewReader returns a Reader of the gzipped WARC stream r.
func NewReader(r io.Reader) *Reader {
	return &Reader{cr: &countingReader{r: bufio.NewReaderSize(r, 64<<10)}}
}

// MaxRecordBytes bounds the block of one record a Reader accepts.
const MaxRecordBytes = 1 << 30

// Next returns the next record, or io.EOF after the last one.
func (rd *Reader) Next() (*Record, error) {
	if rd.err != nil {
		return nil, rd.err
	}
	start := rd.cr.n
	if _, err := rd.cr.r.Peek(1); err == io.EOF {
		rd.err = io.EOF
		return nil, io.EOF
	}
	var err error
	if rd.zr == nil {
		rd.zr, err = gzip.NewReader(rd.cr)
	} else {
		err = rd.zr.Reset(rd.cr)
	}
	if err != nil {
		rd.err = fmt.Errorf("evidence: gzip member at offset %d: %w", start, err)
		return nil, rd.err
	}
	rd.zr.Multistream(false)
	raw, err := io.ReadAll(io.LimitReader(rd.zr, MaxRecordBytes+64<<10))
	if err != nil {
		rd.err = fmt.Errorf("evidence: gzip member at offset %d: %w", start, err)
		return nil, rd.err
	}
	rec, err := parseRecord(raw)
	if err != nil {
		rd.err = fmt.Errorf("evidence: record at offset %d: %w", start, err)
		return nil, rd.err
	}
	rec.Offset, rec.Length = start, rd.cr.n-start
	return rec, nil
}

// ReadRecordAt reads the one record whose gzip member starts at offset in
// the file at path: what an index's Location points to.
func ReadRecordAt(path string, offset int64) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("evidence: seek %s: %w", path, err)
	}
	rec, err := NewReader(f).Next()
	if err != nil {
		return nil, err
	}
	rec.Offset += offset
	return rec, nil
}

func parseRecord(raw []byte) (*Record, error) {
	head, rest, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return nil, errors.New("no end of WARC header")
	}
	lines := strings.Split(string(head), "\r\n")
	if !strings.HasPrefix(lines[0], "WARC/") {
		return nil, fmt.Errorf("version line %q is not WARC/…", lines[0])
	}
	rec := &Record{Version: lines[0], Header: http.Header{}}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("malformed WARC field %q", l)
		}
		rec.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	n, err := strconv.ParseInt(rec.Header.Get("Content-Length"), 10, 64)
	if err != nil || n < 0 || n > MaxRecordBytes || n > int64(len(rest)) {
		return nil, fmt.Errorf("bad Content-Length %q", rec.Header.Get("Content-Length"))
	}
	rec.Block = rest[:n]
	if !bytes.Equal(rest[n:], []byte("\r\n\r\n")) {
		return nil, errors.New("record does not end in CRLF CRLF after its block")
	}
	return rec, nil
}

type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}
