package watchlist

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil"
)

const (
	pdqA   = "f8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"
	sha    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	md5A   = "098f6bcd4621d373cade4e832627b4f6"
	phashA = "e8f89487c7c42a7a"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []Row
		err      string
	}{
		{name: "hash,label without header judges by length",
			in:   phashA + ",girl in red\n" + strings.ToUpper(md5A) + ",case 7\n",
			want: []Row{{vigil.AlgoPHash, phashA, "girl in red"}, {vigil.AlgoMD5, md5A, "case 7"}}},
		{name: "algorithm,hash,label disambiguates 64 digits",
			in:   "pdq," + pdqA + ",a\nSHA256," + sha + ",b\n",
			want: []Row{{vigil.AlgoPDQ, pdqA, "a"}, {vigil.AlgoSHA256, sha, "b"}}},
		{name: "TSV with a header, comments and blank lines",
			in:   "# from partner X\nlabel\talgorithm\thash\n\nkid 1\tpdq\t" + pdqA + "\n",
			want: []Row{{vigil.AlgoPDQ, pdqA, "kid 1"}}},
		{name: "a header column named after the algorithm",
			in:   "sha256,pdq,label\n" + sha + "," + pdqA + ",both\n," + pdqA + ",pdq only\n",
			want: []Row{{vigil.AlgoSHA256, sha, "both"}, {vigil.AlgoPDQ, pdqA, "both"}, {vigil.AlgoPDQ, pdqA, "pdq only"}}},
		{name: "a header with a hash column judges by length",
			in:   "hash,label\n" + md5A + ",x\n",
			want: []Row{{vigil.AlgoMD5, md5A, "x"}}},
		{name: "64 digits without an algorithm are refused", in: pdqA + ",x\n", err: "line 1: 64 hex digits may be PDQ or SHA-256"},
		{name: "a header hash column does not settle 64 digits", in: "hash,label\n" + pdqA + ",x\n", err: "line 2: 64 hex digits"},
		{name: "a wrong length for the algorithm", in: "pdq," + md5A + ",x\n", err: "has 32 hex digits, want 64"},
		{name: "not hex", in: "zz" + md5A[2:] + ",x\n", err: "not a hex hash"},
		{name: "an unknown length", in: "abcd,x\n", err: "4 hex digits match no supported hash"},
		{name: "an unknown algorithm in a column", in: "algorithm,hash\nahash," + phashA + "\n", err: "unknown algorithm \"ahash\""},
		{name: "nothing", in: "# only a comment\n", err: "no hashes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Parse = %v, %v; want error containing %q", got, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("Parse =\n %v\nwant\n %v", got, c.want)
			}
		})
	}
}

// flip returns hex hash h with its first n bits inverted.
func flip(h string, n int) string {
	b := []byte(h)
	for i := 0; i < n; i++ {
		d := strings.IndexByte("0123456789abcdef", b[i/4])
		b[i/4] = "0123456789abcdef"[d^(8>>(i%4))]
	}
	return string(b)
}

func open(t *testing.T) (*DB, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "watchlist.db")
	d, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, p
}

func TestImportFile(t *testing.T) {
	t.Run("a malformed file is an invalid error and writes nothing", func(t *testing.T) {
		d, _ := open(t)
		_, err := d.ImportFile("l", strings.NewReader(md5A+",x\nnot-hex,y\n"))
		if vigil.ErrorCode(err) != vigil.EINVALID || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("ImportFile = %v; want an invalid error naming line 2", err)
		}
		if d.Len() != 0 {
			t.Errorf("%d entries after a failed import; want 0", d.Len())
		}
	})
	t.Run("a good file is imported into the named list", func(t *testing.T) {
		d, _ := open(t)
		res, err := d.ImportFile("l", strings.NewReader(md5A+",x\n"+phashA+",y\n"))
		if err != nil || res != (vigil.WatchlistImport{List: "l", Rows: 2, Added: 2}) {
			t.Fatalf("ImportFile = %+v, %v; want 2 rows added to l", res, err)
		}
	})
}

func TestImportListCheckAlerts(t *testing.T) {
	d, path := open(t)
	clock := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	d.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	rows, err := Parse(strings.NewReader("algorithm,hash,label\npdq," + pdqA + ",victim A\nphash," + phashA + ",victim B\nmd5," + md5A + ",file C\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Import("ncmec-2025", rows)
	if err != nil || res.Added != 3 || res.Updated != 0 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	rows[0].Label = "victim A (renamed)"
	if res, err := d.Import("ncmec-2025", rows); err != nil || res.Added != 0 || res.Updated != 3 {
		t.Fatalf("second import = %+v, %v; want 3 updated", res, err)
	}
	if _, err := d.Import("", rows); err == nil {
		t.Error("import without a list name succeeded")
	}
	ls, err := d.Lists()
	if err != nil || len(ls) != 1 || ls[0].Entries != 3 || ls[0].ByAlgorithm[vigil.AlgoPDQ] != 1 || ls[0].UpdatedAt.IsZero() {
		t.Fatalf("lists = %+v, %v", ls, err)
	}

	img := func(id, pdq string, q int, ph, md string) vigil.Image {
		return vigil.Image{ID: id, URL: "http://s/" + id + ".jpg", PageURL: "http://s/page-" + id, PDQ: pdq, PDQQuality: q, PHash: ph, MD5: md, SHA256: sha}
	}
	images := []vigil.Image{
		img("near", flip(pdqA, 31), 90, "", ""),        // PDQ 31: alert
		img("far", flip(pdqA, 32), 90, "", ""),         // PDQ 32: none
		img("lowq", pdqA, 49, "", ""),                  // quality 49: none
		img("ph", "", 0, flip(phashA, 10), ""),         // pHash 10: alert
		img("ph11", "", 0, flip(phashA, 11), ""),       // pHash 11: none
		img("md", "", 0, "", md5A),                     // exact md5: alert
		img("both", pdqA, 80, phashA, "ffff"+md5A[4:]), // PDQ 0 and pHash 0: two alerts
	}
	alerts, err := d.Check(images)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range alerts {
		got = append(got, fmt.Sprintf("%s/%s/%d/%s", a.Image.ID, a.Algorithm, a.Distance, a.Label))
	}
	want := "[near/pdq/31/victim A (renamed) ph/phash/10/victim B md/md5/0/file C both/pdq/0/victim A (renamed) both/phash/0/victim B]"
	if fmt.Sprint(got) != want {
		t.Fatalf("alerts = %v\nwant     %v", got, want)
	}
	if alerts[0].Image.PageURL != "http://s/page-near" || alerts[0].List != "ncmec-2025" || alerts[0].RaisedAt.IsZero() {
		t.Errorf("alert = %+v", alerts[0])
	}
	if again, err := d.Check(images); err != nil || len(again) != 0 {
		t.Fatalf("checking again raised %d alerts, %v; want none", len(again), err)
	}
	later, err := d.Check([]vigil.Image{img("later", "", 0, phashA, "")})
	if err != nil || len(later) != 1 {
		t.Fatalf("later check = %v, %v", later, err)
	}

	// Stored, newest first, and still there after reopening.
	d.Close()
	d2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	all, err := d2.Alerts(0)
	if err != nil || len(all) != 6 || all[0].Image.ID != "later" || all[5].Image.ID != "near" {
		t.Fatalf("alerts after reopen = %d, %v; want 6, newest (later) first", len(all), err)
	}
	if two, _ := d2.Alerts(2); len(two) != 2 {
		t.Errorf("Alerts(2) returned %d", len(two))
	}
	if d2.Len() != 3 {
		t.Errorf("reopened db holds %d entries; want 3", d2.Len())
	}
	if a, err := d2.Check([]vigil.Image{img("again", flip(pdqA, 3), 60, "", "")}); err != nil || len(a) != 1 || a[0].Label != "victim A (renamed)" {
		t.Fatalf("check after reopen = %+v, %v", a, err)
	}
}

func TestConcurrentChecksRaiseEachAlertOnce(t *testing.T) {
	d, _ := open(t)
	if _, err := d.Import("l", []Row{{vigil.AlgoPHash, phashA, "x"}}); err != nil {
		t.Fatal(err)
	}
	var images []vigil.Image
	for i := range 50 {
		images = append(images, vigil.Image{ID: fmt.Sprint("img", i), PHash: flip(phashA, i%5)})
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := d.Check(images)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += len(a)
			mu.Unlock()
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := d.Import("other", []Row{{vigil.AlgoMD5, md5A, "y"}}); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if total != 50 {
		t.Fatalf("%d alerts raised by 8 concurrent checks of 50 matching images; want 50", total)
	}
	all, err := d.Alerts(1000)
	if err != nil || len(all) != 50 {
		t.Fatalf("stored %d alerts, %v; want 50", len(all), err)
	}
}
