package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"vigil/evidence"
	"vigil/internal/pycheck"
)

// checkEvidence reads every WARC file that a signed manifest under
// data/evidence lists with Webrecorder's warcio (internal/pycheck): warcio
// check must pass every record's digests, and warcio must read as many
// records as the manifest states. It returns the number of files checked.
// startUp runs it on every instance's data directory once the instance has
// stopped, so every crawl of the suite is checked by a reader Vigil did not
// write.
func checkEvidence(t testing.TB, data string) int {
	t.Helper()
	root := filepath.Join(data, "evidence")
	ents, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return 0
	} else if err != nil {
		t.Errorf("evidence directory: %v", err)
		return 0
	}
	files := 0
	for _, e := range ents {
		m, _, err := evidence.ReadManifest(filepath.Join(root, e.Name()))
		if err != nil {
			continue // a crawl that wrote no batch yet has no manifest
		}
		for _, f := range m.Files {
			n, err := pycheck.WARC(filepath.Join(root, e.Name(), f.Name))
			if err != nil {
				t.Errorf("crawl %s: %v", e.Name(), err)
				continue
			}
			if n != f.Records {
				t.Errorf("crawl %s: warcio read %d records of %s, the manifest states %d", e.Name(), n, f.Name, f.Records)
			}
			files++
		}
	}
	return files
}
