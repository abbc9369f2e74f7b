package vigil_test

import (
	"errors"
	"fmt"
	"testing"

	"vigil"
)

func TestIDsAreDeterministicAndDistinct(t *testing.T) {
	a := vigil.DocumentID("crawl-1", "http://x.onion/a")
	if a != vigil.DocumentID("crawl-1", "http://x.onion/a") {
		t.Fatal("the same capture got two IDs")
	}
	others := []string{
		vigil.DocumentID("crawl-2", "http://x.onion/a"),
		vigil.DocumentID("crawl-1", "http://x.onion/b"),
		// Field boundaries matter: ("ab","c") is not ("a","bc").
		vigil.DocumentID("crawl-1http://x.onion", "/a"),
	}
	for _, o := range others {
		if o == a {
			t.Fatalf("distinct captures share the ID %s", a)
		}
	}
	if vigil.FindingID(a, vigil.KindEmail, "a@b.c", 1) == vigil.FindingID(a, vigil.KindEmail, "a@b.c", 2) {
		t.Fatal("findings at different offsets share an ID")
	}
}

func TestPageStampFillsProvenance(t *testing.T) {
	p := &vigil.Page{DocumentID: "d", CrawlID: "c", Site: "s", URL: "u"}
	fs := []vigil.Finding{{Kind: vigil.KindPhone, Value: "+14155550123", Offset: 7}}
	p.Stamp(fs)
	f := fs[0]
	if f.DocumentID != "d" || f.CrawlID != "c" || f.Site != "s" || f.URL != "u" || f.ID != vigil.FindingID("d", vigil.KindPhone, "+14155550123", 7) {
		t.Fatalf("stamped finding = %+v", f)
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	wrapped := fmt.Errorf("lookup: %w", vigil.Errorf(vigil.ENOTFOUND, "no document %q", "x"))
	if vigil.ErrorCode(wrapped) != vigil.ENOTFOUND || vigil.ErrorMessage(wrapped) != `no document "x"` {
		t.Fatalf("code %q message %q", vigil.ErrorCode(wrapped), vigil.ErrorMessage(wrapped))
	}
	plain := errors.New("open /secret/path: permission denied")
	if vigil.ErrorCode(plain) != vigil.EINTERNAL || vigil.ErrorMessage(plain) != "internal error" {
		t.Fatal("an internal error's text leaked into its message")
	}
	if vigil.ErrorCode(nil) != "" {
		t.Fatal("nil has a code")
	}
}

func TestCrawlStatusDone(t *testing.T) {
	for state, done := range map[vigil.CrawlState]bool{"running": false, "paused": false, "finished": true, "failed": true, "stopped": true, "terminated": true} {
		if (vigil.CrawlStatus{State: state}).Done() != done {
			t.Errorf("state %s: Done() != %v", state, done)
		}
	}
}

func TestCleanTextNeutralisesHostileText(t *testing.T) {
	cases := map[string]string{
		"plain  words\n\tacross lines": "plain words across lines",
		"red \x1b[31malert\x1b[0m":     "red alert",
		"title \x1b]0;pwned\x07 done":  "title done",
		"bidi \u202eevil\u202c text":   "bidi evil text",
		"nul\x00 and bell\x07":         "nul and bell",
		"  leading and trailing  ":     "leading and trailing",
		"bad utf8 \xff\xfe here":       "bad utf8 here",
		"zero\u200bwidth":              "zerowidth",
	}
	for in, want := range cases {
		if got := vigil.CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
