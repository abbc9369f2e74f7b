package imagehash

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vectorDir holds the copy of the PDQ reference vectors (see its README).
var vectorDir = filepath.Join("..", "..", "testdata", "pdq")

type vector struct {
	file     string
	quality  int
	hashes   [8]string // in DihedralNames order
	pngExact bool      // lossless file: the reference's luma is reproducible
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorDir, "vectors.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var vs []vector
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 11 {
			t.Fatalf("vectors.tsv: %d columns in %q", len(c), sc.Text())
		}
		q, err := strconv.Atoi(c[2])
		if err != nil {
			t.Fatal(err)
		}
		// Columns: file pdq quality source rot90 rot180 rot270 flipx flipy flipplus flipminus.
		v := vector{file: c[0], quality: q, pngExact: strings.HasSuffix(c[0], ".png")}
		v.hashes[0] = c[1]
		copy(v.hashes[1:], c[4:11])
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) != 95 {
		t.Fatalf("vectors.tsv has %d rows, want 95", len(vs))
	}
	return vs
}

func decodeFile(t testing.TB, name string) image.Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func hexDist(t testing.TB, a [32]byte, ref string) int {
	t.Helper()
	b, err := hex.DecodeString(ref)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad reference hash %q", ref)
	}
	return HammingBytes(a[:], b)
}

// TestPDQConformance checks PDQFromImage and PDQDihedral against Meta's C++
// reference on every vector: quality within ±2; for quality ≥ 80 every
// dihedral hash within 10 bits and a mean distance of at most 3. Lossless
// PNGs, whose luma any decoder reproduces, must land within 2 bits.
func TestPDQConformance(t *testing.T) {
	vs := loadVectors(t)
	var sum [8]int
	n := 0
	worst := 0
	for _, v := range vs {
		img := decodeFile(t, v.file)
		single, q1 := PDQFromImage(img)
		hs, q := PDQDihedral(img)
		if single != hs[0] || q1 != q {
			t.Errorf("%s: PDQFromImage and PDQDihedral disagree", v.file)
		}
		if d := q - v.quality; d < -2 || d > 2 {
			t.Errorf("%s: quality %d, reference %d", v.file, q, v.quality)
		}
		if v.quality < 80 {
			continue
		}
		n++
		for k := range 8 {
			d := hexDist(t, hs[k], v.hashes[k])
			sum[k] += d
			worst = max(worst, d)
			if d > 10 {
				t.Errorf("%s %s: distance %d from reference, want ≤ 10", v.file, DihedralNames[k], d)
			}
			if v.pngExact && d > 2 {
				t.Errorf("%s %s: lossless file at distance %d from reference, want ≤ 2", v.file, DihedralNames[k], d)
			}
		}
	}
	for k := range 8 {
		mean := float64(sum[k]) / float64(n)
		t.Logf("%-9s mean distance %.2f over %d images", DihedralNames[k], mean, n)
		if mean > 3 {
			t.Errorf("%s: mean distance %.2f, want ≤ 3", DihedralNames[k], mean)
		}
	}
	t.Logf("worst distance %d", worst)
}
