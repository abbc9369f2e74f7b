package crawler

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// fetchHeader tags the requests colly sends for a page so that rawTransport
// can hand the body, exactly as received, to that page's fetch. It never
// leaves the process: rawTransport removes it before the request is sent.
const fetchHeader = "X-Vigil-Fetch"

// rawTransport wraps the caller's transport. For each tagged request it tees
// the response body, as colly reads it, into the fetch's raw buffer (colly
// re-encodes non-UTF-8 bodies to UTF-8 before its callbacks see them, and a
// capture must keep the bytes as received). It also keeps colly from
// decompressing anything itself: colly gunzips "gzip" content types after its
// size limit, which would make a small gzip bomb unbounded. A gzip
// Content-Encoding the inner transport did not decode is decoded here,
// where colly's size limit still bounds the decoded bytes.
type rawTransport struct {
	next  http.RoundTripper
	traps Traps // AllowedTypes: page bodies of other types are left unread
	// maxImage bounds the bytes of an image read (Config.MaxImageBytes).
	maxImage int
	nextID   atomic.Uint64
	fetches  sync.Map // fetchHeader value → *fetch
}

// register makes f reachable by rawTransport and returns the header value
// that tags its requests, and a function that forgets f.
func (t *rawTransport) register(f *fetch) (string, func()) {
	id := strconv.FormatUint(t.nextID.Add(1), 10)
	t.fetches.Store(id, f)
	return id, func() { t.fetches.Delete(id) }
}

func (t *rawTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var f *fetch
	if id := req.Header.Get(fetchHeader); id != "" {
		req = req.Clone(req.Context())
		req.Header.Del(fetchHeader)
		if v, ok := t.fetches.Load(id); ok {
			f = v.(*fetch)
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if !resp.Uncompressed && strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("gzip response from %s: %w", req.URL.Redacted(), err)
		}
		resp.Body = &gzipBody{Reader: zr, under: resp.Body}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
	}
	resp.Uncompressed = true
	if f == nil {
		return resp, nil
	}
	// Each redirect hop starts over; the last response is the one kept.
	f.raw.Reset()
	f.image, f.imageTooLarge, f.refused = nil, false, ""
	if err := t.classify(f, resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if f.class != ClassPage {
		return resp, nil
	}
	if (resp.StatusCode < 300 || resp.StatusCode > 399) && !t.traps.allowsType(resp.Header.Get("Content-Type")) {
		// A page of a type the crawl does not keep: the body is not read.
		resp.Body.Close()
		resp.Body = http.NoBody
		f.refused = resp.Header.Get("Content-Type")
		return resp, nil
	}
	resp.Body = &teeBody{ReadCloser: resp.Body, buf: &f.raw}
	return resp, nil
}

// classify is the fetch boundary: it reads the first SniffBytes of a
// tagged response's body and applies Classify to them. A page's body is
// left to be read as usual (the sniffed bytes first). An image's body is
// read here, at most maxImage bytes, into f.image, and a medium's is not
// read any further; for both, the caller (colly, or the image client)
// reads an empty body, so their bytes never reach a page's raw buffer. A
// redirect's image or media body is not kept at all.
func (t *rawTransport) classify(f *fetch, resp *http.Response) error {
	br := bufio.NewReaderSize(resp.Body, SniffBytes)
	head, err := br.Peek(SniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull && len(head) == 0 {
		return fmt.Errorf("read response: %w", err)
	}
	f.class, f.mime = Classify(head)
	if f.class == ClassPage {
		resp.Body = &readCloser{Reader: br, Closer: resp.Body}
		return nil
	}
	if f.class == ClassImage && (resp.StatusCode < 300 || resp.StatusCode > 399) {
		img, err := io.ReadAll(io.LimitReader(br, int64(t.maxImage)+1))
		if err != nil {
			return fmt.Errorf("read image: %w", err)
		}
		if len(img) > t.maxImage {
			f.imageTooLarge = true
		} else {
			f.image = img
		}
	}
	resp.Body.Close()
	resp.Body = http.NoBody
	resp.ContentLength = 0
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *rawTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type teeBody struct {
	io.ReadCloser
	buf *bytes.Buffer
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.buf.Write(p[:n])
	return n, err
}

type gzipBody struct {
	*gzip.Reader
	under io.ReadCloser
}

func (b *gzipBody) Close() error {
	b.Reader.Close()
	return b.under.Close()
}
