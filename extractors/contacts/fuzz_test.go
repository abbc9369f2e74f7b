package contacts

import (
	"strings"
	"testing"
	"unicode/utf8"

	"vigil"
)

// FuzzExtract checks that any text, link and attribute value yields
// findings with in-range offsets, valid UTF-8 snippets, known kinds, no
// duplicates, and Attr set exactly on the findings read outside the text.
func FuzzExtract(f *testing.F) {
	armored, _ := makePGPKey("fz", "f")
	for _, s := range []string{
		"bob@example.com", "anna [at] mail [dot] ru", "+44 7911 123456", "(415) 555-0132", "Telegram: @someone_x",
		makeOnion("fz") + " " + makeBTC("fz", false), makeETH("fz"), makeXMR("fz", 18), armored,
		"Fingerprint: " + groupFP(strings.Repeat("AB12", 10)), "wa.me/447911123456", "2024-01-05 10.0.0.1",
	} {
		f.Add(s, "https://t.me/x1234", "Telegram ➜ @x12345")
	}
	f.Add("هاتف: ٠١٠ ٢٧٣٧ ٦٣٠٥ x\u200by@example.org ＋８１ ９０", "mailto:a@b.org", makeBTC("fz2", true))
	e := New(Config{})
	kinds := map[vigil.Kind]bool{}
	for _, k := range []vigil.Kind{vigil.KindEmail, vigil.KindPhone, vigil.KindWhatsApp, vigil.KindTelegram, vigil.KindSignal,
		vigil.KindSession, vigil.KindWickr, vigil.KindDiscord, vigil.KindSnapchat, vigil.KindKik, vigil.KindWeChat,
		vigil.KindBTC, vigil.KindETH, vigil.KindXMR, vigil.KindTRX, vigil.KindOnion, vigil.KindPGP} {
		kinds[k] = true
	}
	f.Fuzz(func(t *testing.T, text, link, attr string) {
		fs := e.Extract(&vigil.Page{Text: text, Links: []string{link}, Attrs: []vigil.PageAttr{{Name: vigil.AttrTitle, Value: attr}}})
		seen := map[key]bool{}
		for _, fd := range fs {
			if !kinds[fd.Kind] || fd.Value == "" {
				t.Fatalf("bad finding %+v", fd)
			}
			if fd.Offset < -1 || fd.Offset >= len(text) {
				t.Fatalf("offset %d out of range", fd.Offset)
			}
			if (fd.Offset == -1) != (fd.Attr == vigil.AttrHref || fd.Attr == vigil.AttrTitle) {
				t.Fatalf("offset %d with attr %q", fd.Offset, fd.Attr)
			}
			if !utf8.ValidString(fd.Snippet) {
				t.Fatalf("invalid snippet %q", fd.Snippet)
			}
			k := key{fd.Kind, fd.Value, fd.Offset}
			if seen[k] {
				t.Fatalf("duplicate %+v", fd)
			}
			seen[k] = true
		}
	})
}
