package crawlclient

import (
	"strings"
	"testing"

	"vigil"
)

func TestKnownIDRefusesWhatTemporalCannotCarry(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"a crawl ID is asked about", "crawl-20261206-155931-f720da", true},
		{"an empty ID is no crawl", "", false},
		{"a control character is no crawl", "crawl-\x00", false},
		{"a non-ASCII character is no crawl", "crawl-é", false},
		{"an ID over the bound is no crawl", strings.Repeat("a", maxIDLen+1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := knownID("crawl", tc.id)
			if tc.ok != (err == nil) || (err != nil && vigil.ErrorCode(err) != vigil.ENOTFOUND) {
				t.Fatalf("knownID(%q) = %v; want ok=%v, else ENOTFOUND", tc.id, err, tc.ok)
			}
		})
	}
}
