package contacts

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/extractors/htmltext"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/extract/golden")

const goldenDir = "../../testdata/extract/golden"

// TestGolden extracts every page in testdata/extract/golden and compares the
// findings (kind, value, offset, snippet and, outside the text, attr) with
// the .golden file beside it.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.html"))
	if err != nil || len(files) < 3 {
		t.Fatalf("golden pages: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := htmltext.Parse(bytes.NewReader(raw), "http://golden.example/page")
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			for _, fd := range New(Config{}).Extract(p) {
				if fd.Offset >= len(p.Text) || fd.Offset < -1 || fd.Offset >= 0 && !strings.Contains(fd.Snippet, p.Text[fd.Offset:fd.Offset+1]) {
					t.Errorf("%s %s: offset %d outside its snippet %q", fd.Kind, fd.Value, fd.Offset, fd.Snippet)
				}
				rec := map[string]any{"kind": fd.Kind, "value": fd.Value, "offset": fd.Offset, "snippet": fd.Snippet}
				if fd.Attr != "" {
					rec["attr"] = fd.Attr
				}
				enc.Encode(rec)
			}
			golden := strings.TrimSuffix(f, ".html") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("findings differ from %s:\ngot:\n%s\nwant:\n%s", golden, out.Bytes(), want)
			}
		})
	}
}
