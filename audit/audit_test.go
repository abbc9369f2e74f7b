package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestChainDetectsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"alice@example.com", "+14155550123", "wallet"} {
		if err := l.Record(Entry{User: "local", Action: "search", Query: map[string]string{"q": q}}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if n, err := Verify(path); err != nil || n != 3 {
		t.Fatalf("verify = %d, %v; want 3 entries", n, err)
	}
	// Reopening continues the chain.
	l, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Record(Entry{User: "local", Action: "crawl.start"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if n, err := Verify(path); err != nil || n != 4 {
		t.Fatalf("verify after reopen = %d, %v", n, err)
	}

	raw, _ := os.ReadFile(path)
	cases := map[string][]byte{
		"edited query":   bytes.Replace(raw, []byte("+14155550123"), []byte("+14155550124"), 1),
		"deleted line":   append(bytes.SplitAfterN(raw, []byte("\n"), 2)[0], bytes.SplitAfterN(raw, []byte("\n"), 3)[2]...),
		"truncated line": raw[:len(raw)-20],
	}
	for name, bad := range cases {
		t.Run(name+" is detected", func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "audit.log")
			os.WriteFile(p, bad, 0o600)
			if _, err := Verify(p); !errors.Is(err, ErrTampered) {
				t.Fatalf("verify = %v, want ErrTampered", err)
			}
			if _, err := Open(p); !errors.Is(err, ErrTampered) {
				t.Fatalf("open = %v, want ErrTampered", err)
			}
		})
	}
}
