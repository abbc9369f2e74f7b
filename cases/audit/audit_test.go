package audit

import (
	"bytes"
	"errors"
	"fmt"
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

func TestSearchFiltersNewestFirst(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entries := []Entry{
		{User: "alice", Action: "search", Query: map[string]string{"q": "Jobs Abroad"}},
		{User: "bob", Action: "search", Query: map[string]string{"q": "visa"}},
		{User: "alice", Action: "crawl.start", CaseID: "case-7", Result: "started crawl-1"},
		{User: "alice", Action: "crawl.pause", Query: map[string]string{"id": "crawl-1"}},
	}
	for _, e := range entries {
		if err := l.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    Filter
		want []int64 // sequence numbers, newest first
	}{
		{"an empty filter returns everything newest first", Filter{}, []int64{4, 3, 2, 1}},
		{"user is exact", Filter{User: "alice"}, []int64{4, 3, 1}},
		{"an action prefix ending in a dot matches the family", Filter{Action: "crawl."}, []int64{4, 3}},
		{"an action without a dot is exact", Filter{Action: "crawl"}, nil},
		{"text matches query values case-insensitively", Filter{Text: "jobs abroad"}, []int64{1}},
		{"text matches case IDs and results", Filter{Text: "CRAWL-1"}, []int64{4, 3}},
		{"limit and offset page newest first", Filter{Offset: 1, Limit: 2}, []int64{3, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := l.Search(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tc.want) {
				t.Fatalf("seqs = %v, want %v", seqs, tc.want)
			}
			if tc.f.Limit == 0 && total != len(tc.want) {
				t.Fatalf("total = %d, want %d", total, len(tc.want))
			}
		})
	}
}
