package evidence

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestDirCountsAndPurgesACase(t *testing.T) {
	d := Dir(caseArchive(t)) // crawl-a of case-1, crawl-b of case-2
	for _, tc := range []struct {
		name   string
		crawls []string
		want   int
	}{
		{"crawls whose manifest names the case are counted", nil, 1},
		{"crawls named by the other parts are counted too", []string{"crawl-b", "crawl-z"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n, err := d.CountCase("case-1", tc.crawls); err != nil || n != tc.want {
				t.Errorf("CountCase = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
	if n, err := Dir(filepath.Join(t.TempDir(), "none")).CountCase("case-1", nil); err != nil || n != 0 {
		t.Errorf("CountCase of a missing directory = %d, %v; want 0", n, err)
	}
	if got, err := d.PurgeCase("case-1"); err != nil || !slices.Equal(got, []string{"crawl-a"}) {
		t.Fatalf("PurgeCase = %v, %v; want [crawl-a]", got, err)
	}
	if got, err := d.PurgeCrawls([]string{"crawl-b", "crawl-z"}); err != nil || !slices.Equal(got, []string{"crawl-b"}) {
		t.Fatalf("PurgeCrawls = %v, %v; want [crawl-b]", got, err)
	}
	if n, err := d.CountCase("case-1", []string{"crawl-b"}); err != nil || n != 0 {
		t.Errorf("CountCase after the purges = %d, %v; want 0", n, err)
	}
}
