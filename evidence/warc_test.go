package evidence

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func readAll(t *testing.T, path string) []*Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := NewReader(f)
	var recs []*Record
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		recs = append(recs, r)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(Config{Dir: dir, Prefix: "crawl-1", Info: map[string]string{"case": "case-7"}})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("<html><body>contact: seller@example.onion\r\n\r\nbinary\x00\xff</body></html>")
	at := time.Date(2026, 11, 27, 10, 0, 0, 123000000, time.UTC)
	loc, err := w.WriteCapture(Capture{
		URL: "http://forumabc.onion/thread?id=1", Status: 200,
		Header:    http.Header{"Content-Type": {"text/html"}, "Content-Encoding": {"gzip"}, "Content-Length": {"9"}},
		Body:      body,
		FetchedAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Name != "crawl-1-00000.warc.gz" || files[0].Records != 3 {
		t.Fatalf("files = %+v; want one file crawl-1-00000.warc.gz with warcinfo, response, request", files)
	}
	if loc.File != files[0].Name || loc.Offset == 0 {
		t.Fatalf("location %+v; want an offset after the warcinfo record in %s", loc, files[0].Name)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, files[0].Name))
	if int64(len(raw)) != files[0].Size || sha256Hex(raw) != files[0].SHA256 {
		t.Fatalf("FileInfo size/sha256 %d/%s do not describe the file (%d bytes, %s)", files[0].Size, files[0].SHA256, len(raw), sha256Hex(raw))
	}

	recs := readAll(t, filepath.Join(dir, files[0].Name))
	if len(recs) != 3 {
		t.Fatalf("read %d records; want 3", len(recs))
	}
	for i, want := range []string{"warcinfo", "response", "request"} {
		if recs[i].Type() != want {
			t.Errorf("record %d is %q; want %q", i, recs[i].Type(), want)
		}
		if err := recs[i].Verify(); err != nil {
			t.Errorf("record %d: %v", i, err)
		}
		if recs[i].Version != "WARC/1.1" || recs[i].Header.Get("WARC-Record-ID") == "" || recs[i].Header.Get("WARC-Date") == "" {
			t.Errorf("record %d lacks version, ID or date: %v %v", i, recs[i].Version, recs[i].Header)
		}
	}
	resp, req := recs[1], recs[2]
	payload, err := resp.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(payload, body) {
		t.Fatalf("payload read back %q; want %q", payload, body)
	}
	hr, _, err := resp.Response()
	if err != nil {
		t.Fatal(err)
	}
	if hr.StatusCode != 200 || hr.Header.Get("Content-Encoding") != "" || hr.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("HTTP response read back: %d %v", hr.StatusCode, hr.Header)
	}
	if got := resp.Header.Get("WARC-Target-URI"); got != "http://forumabc.onion/thread?id=1" {
		t.Errorf("target URI %q", got)
	}
	if got := resp.Header.Get("WARC-Date"); got != "2026-11-27T10:00:00.123Z" {
		t.Errorf("WARC-Date %q; want the fetch time", got)
	}
	if resp.Header.Get("WARC-Concurrent-To") != req.Header.Get("WARC-Record-ID") || req.Header.Get("WARC-Concurrent-To") != resp.Header.Get("WARC-Record-ID") {
		t.Errorf("request and response are not linked by WARC-Concurrent-To")
	}
	if !bytes.HasPrefix(req.Block, []byte("GET /thread?id=1 HTTP/1.1\r\nHost: forumabc.onion\r\n")) {
		t.Errorf("request block %q", req.Block)
	}
	if !bytes.Contains(recs[0].Block, []byte("case: case-7\r\n")) {
		t.Errorf("warcinfo block %q lacks the info fields", recs[0].Block)
	}

	at1, err := ReadRecordAt(filepath.Join(dir, loc.File), loc.Offset)
	if err != nil {
		t.Fatal(err)
	}
	if at1.Header.Get("WARC-Record-ID") != resp.Header.Get("WARC-Record-ID") || at1.Length != loc.Length {
		t.Fatalf("ReadRecordAt(%d) read %s (length %d); want the response record (length %d)", loc.Offset, at1.Header.Get("WARC-Record-ID"), at1.Length, loc.Length)
	}
}

func TestWriterSkipsImagesUnlessKept(t *testing.T) {
	img := Capture{URL: "http://a.onion/x.jpg", Status: 200, Header: http.Header{"Content-Type": {"IMAGE/JPEG"}}, Body: []byte{0xff, 0xd8, 0xff}}
	t.Run("by default an image is not written", func(t *testing.T) {
		w, _ := NewWriter(Config{Dir: t.TempDir()})
		loc, err := w.WriteCapture(img)
		if err != nil || loc != (Location{}) {
			t.Fatalf("WriteCapture(image) = %+v, %v; want a zero Location", loc, err)
		}
		if files, _ := w.Close(); len(files) != 0 {
			t.Fatalf("files %+v; want none", files)
		}
	})
	t.Run("with KeepImages it is written", func(t *testing.T) {
		dir := t.TempDir()
		w, _ := NewWriter(Config{Dir: dir, KeepImages: true})
		loc, err := w.WriteCapture(img)
		if err != nil || loc.File == "" {
			t.Fatalf("WriteCapture(image) = %+v, %v; want a location", loc, err)
		}
		w.Close()
		rec, err := ReadRecordAt(filepath.Join(dir, loc.File), loc.Offset)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := rec.Payload(); !bytes.Equal(p, img.Body) {
			t.Fatalf("payload %x; want %x", p, img.Body)
		}
	})
}

func TestWriterRotatesConcurrently(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(Config{Dir: dir, MaxFileBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	locs := make([]Location, n)
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		bodies[i] = bytes.Repeat([]byte(fmt.Sprintf("page %d ", i)), 30+i%17)
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc, err := w.WriteCapture(Capture{URL: fmt.Sprintf("http://a.onion/p/%d", i), Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: bodies[i]})
			locs[i] = loc
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	files, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("%d files; want rotation at 4 KiB to give several", len(files))
	}
	records := 0
	for _, f := range files {
		recs := readAll(t, filepath.Join(dir, f.Name))
		if len(recs) != f.Records {
			t.Errorf("%s: read %d records; FileInfo says %d", f.Name, len(recs), f.Records)
		}
		records += len(recs)
		for _, r := range recs {
			if err := r.Verify(); err != nil {
				t.Errorf("%s at %d: %v", f.Name, r.Offset, err)
			}
		}
	}
	if records != 2*n+len(files) {
		t.Fatalf("%d records in all; want %d captures × 2 + one warcinfo per file", records, n)
	}
	for i, loc := range locs {
		rec, err := ReadRecordAt(filepath.Join(dir, loc.File), loc.Offset)
		if err != nil {
			t.Fatalf("capture %d at %+v: %v", i, loc, err)
		}
		p, err := rec.Payload()
		if err != nil || !bytes.Equal(p, bodies[i]) {
			t.Fatalf("capture %d at %+v: payload differs (%v)", i, loc, err)
		}
	}
	if _, err := w.WriteCapture(Capture{URL: "http://a.onion/", Status: 200}); err == nil {
		t.Fatal("WriteCapture after Close succeeded")
	}
}

func TestRecordVerifyDetectsTampering(t *testing.T) {
	dir := t.TempDir()
	w, _ := NewWriter(Config{Dir: dir})
	loc, err := w.WriteCapture(Capture{URL: "http://a.onion/", Status: 200, Body: []byte("original body")})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	rec, err := ReadRecordAt(filepath.Join(dir, loc.File), loc.Offset)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(rec.Block, []byte("original"))
	rec.Block[i] = 'O'
	if err := rec.Verify(); err == nil {
		t.Fatal("Verify accepted a block changed after writing")
	}
}
