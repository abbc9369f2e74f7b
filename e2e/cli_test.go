package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/demo"
)

var hexRe = regexp.MustCompile(`^[0-9a-f]+$`)

func TestHashJSONFollowsTheOutputContract(t *testing.T) {
	t.Parallel()
	site := demo.New(demo.Config{})
	dir := t.TempDir()
	var paths []string
	for i, img := range site.Images()[:3] {
		p := filepath.Join(dir, filepath.Base(img.Path))
		if err := os.WriteFile(p, img.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		_ = i
	}
	out, errOut, code := runVigil(t, append([]string{"hash", "--json"}, paths...)...)
	if code != 0 {
		t.Fatalf("hash exited %d: %s", code, errOut)
	}
	recs := jsonLines(t, out)
	if len(recs) != len(paths) {
		t.Fatalf("%d records for %d images", len(recs), len(paths))
	}
	for i, r := range recs {
		if r["path"] != paths[i] {
			t.Errorf("record %d path = %v", i, r["path"])
		}
		for field, n := range map[string]int{"sha256": 64, "md5": 32, "pdq": 64, "phash": 16} {
			v, _ := r[field].(string)
			if len(v) != n || !hexRe.MatchString(v) {
				t.Errorf("record %d %s = %q, want %d hex digits", i, field, v, n)
			}
		}
		if q, ok := r["pdq_quality"].(float64); !ok || q < 0 || q > 100 {
			t.Errorf("record %d pdq_quality = %v", i, r["pdq_quality"])
		}
	}
}

func TestExtractJSONFollowsTheOutputContract(t *testing.T) {
	t.Parallel()
	page := `<html><body><p>Contact mara.k [at] protonmail [dot] com or call +44 20 7946 0123.</p>
<p>Order #4411-2023, version 2.4.1, price $120.00</p>
<p>Pay to <input readonly value="1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"></p></body></html>`
	path := filepath.Join(t.TempDir(), "ad.html")
	if err := os.WriteFile(path, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runVigil(t, "extract", "--json", "--region", "GB", path)
	if code != 0 {
		t.Fatalf("extract exited %d: %s", code, errOut)
	}
	got := map[string]string{} // kind and value to where: the offset, or the attribute read
	for _, r := range jsonLines(t, out) {
		kind, _ := r["kind"].(string)
		value, _ := r["value"].(string)
		snippet, _ := r["snippet"].(string)
		attr, _ := r["attr"].(string)
		offset, _ := r["offset"].(float64)
		if snippet == "" {
			t.Errorf("finding %s %s has no snippet", kind, value)
		}
		got[kind+" "+value] = fmt.Sprintf("%v %s", offset, attr)
	}
	// Text findings carry their offset in the page text; the wallet in the
	// read-only field carries Offset -1 and the attribute it was read from.
	for want, where := range map[string]string{"email mara.k@protonmail.com": "8 ", "phone +442079460123": "49 ",
		"btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa": "-1 value"} {
		if got[want] != where {
			t.Errorf("%s at %q, want %q (all: %v)", want, got[want], where, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("want exactly 3 findings (order numbers, versions and prices are not contacts), got %v", got)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"an unknown command is bad usage", []string{"frobnicate"}, 2},
		{"search without a query is bad usage", []string{"search"}, 2},
		{"a seed that is not a URL is bad usage", []string{"crawl", "not-a-url"}, 2},
		{"an unknown flag is bad usage", []string{"search", "--nope", "x"}, 2},
		{"an unreachable server is a failure", []string{"search", "--server", "http://127.0.0.1:1", "x"}, 1},
		{"a missing file is a failure", []string{"hash", "/nonexistent/image.jpg"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runVigil(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || errOut == "" {
				t.Fatalf("stderr must be one line, got %q", errOut)
			}
		})
	}
}
