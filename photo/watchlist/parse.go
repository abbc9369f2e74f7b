package watchlist

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"vigil"
)

// Row is one parsed line of a watchlist file.
type Row struct {
	Algorithm string // vigil.AlgoPDQ, AlgoPHash, AlgoMD5 or AlgoSHA256
	Hash      string // lower-case hex
	Label     string
}

// algoNames maps the algorithm spellings accepted in files to Algo*.
var algoNames = map[string]string{
	"pdq": vigil.AlgoPDQ, "phash": vigil.AlgoPHash, "phash64": vigil.AlgoPHash,
	"md5": vigil.AlgoMD5, "sha256": vigil.AlgoSHA256, "sha-256": vigil.AlgoSHA256,
}

// hexLen is the number of hex digits of each algorithm's hash.
var hexLen = map[string]int{vigil.AlgoPDQ: 64, vigil.AlgoPHash: 16, vigil.AlgoMD5: 32, vigil.AlgoSHA256: 64}

// Parse reads a watchlist file: CSV, or TSV when its first line holds a tab.
// Blank lines and lines starting with # are skipped. The columns are, in
// order of precedence:
//
//   - A header (a first line holding no hash that names a "hash" column,
//     or a column named after an algorithm) gives them by name: "algorithm" (or "algo", "type"),
//     "hash" (or "value"), "label" (or "name", "description"), and
//     "pdq", "phash", "md5", "sha256" for columns that hold hashes of that
//     algorithm (several may be filled on one line: one entry each).
//   - Without a header, a line of 3 or more fields whose first field is an
//     algorithm name is algorithm,hash,label; any other line is hash,label.
//
// Without an algorithm, the length says it: 16 hex digits are a pHash64, 32
// an MD5. 64 hex digits are either PDQ or SHA-256, so such a hash needs an
// algorithm column or a header column named pdq or sha256; Parse refuses it
// otherwise. Hashes are hex (either case) and must have their algorithm's
// length. Any bad line fails the whole file with an EINVALID error naming
// the line, as does a file over vigil.MaxWatchlistBytes; an error reading r
// is returned wrapped.
func Parse(r io.Reader) ([]Row, error) {
	raw, err := io.ReadAll(io.LimitReader(r, vigil.MaxWatchlistBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read watchlist: %w", err)
	}
	rows, err := parse(raw)
	if err != nil {
		return nil, vigil.Errorf(vigil.EINVALID, "%v", err)
	}
	return rows, nil
}

// parse parses the bytes of a watchlist file for Parse.
func parse(raw []byte) ([]Row, error) {
	if len(raw) > vigil.MaxWatchlistBytes {
		return nil, fmt.Errorf("watchlist file over %d bytes", vigil.MaxWatchlistBytes)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comment, cr.FieldsPerRecord, cr.LazyQuotes, cr.TrimLeadingSpace = '#', -1, true, true
	if first := firstLine(raw); strings.Contains(first, "\t") {
		cr.Comma = '\t'
	}
	var (
		rows []Row
		hdr  *header
	)
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("watchlist line %d: %w", line, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if n == 0 {
			if h := parseHeader(rec); h != nil {
				hdr = h
				continue
			}
		}
		var rs []Row
		if hdr != nil {
			rs, err = hdr.rows(rec)
		} else {
			rs, err = plainRow(rec)
		}
		if err != nil {
			return nil, fmt.Errorf("watchlist line %d: %w", line, err)
		}
		rows = append(rows, rs...)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("watchlist holds no hashes")
	}
	return rows, nil
}

func firstLine(raw []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			return sc.Text()
		}
	}
	return ""
}

// header is the column layout a header line gives.
type header struct {
	algo, hash, label int            // -1 when absent
	typed             map[int]string // column → algorithm
}

func parseHeader(rec []string) *header {
	for _, f := range rec {
		if _, err := hex.DecodeString(f); err == nil && (len(f) == 16 || len(f) == 32 || len(f) == 64) {
			return nil // a line holding a hash is data
		}
	}
	h := &header{algo: -1, hash: -1, label: -1, typed: map[int]string{}}
	for i, f := range rec {
		switch name := strings.ToLower(f); name {
		case "algorithm", "algo", "type":
			h.algo = i
		case "hash", "value":
			h.hash = i
		case "label", "name", "description":
			h.label = i
		default:
			if a, ok := algoNames[name]; ok {
				h.typed[i] = a
			}
		}
	}
	if h.hash < 0 && len(h.typed) == 0 {
		return nil
	}
	return h
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func (h *header) rows(rec []string) ([]Row, error) {
	label := field(rec, h.label)
	var out []Row
	if h.hash >= 0 {
		r, err := row(field(rec, h.algo), field(rec, h.hash), label)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	for i := range len(rec) {
		algo, ok := h.typed[i]
		if !ok || rec[i] == "" {
			continue
		}
		r, err := row(algo, rec[i], label)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no hash on the line")
	}
	return out, nil
}

func plainRow(rec []string) ([]Row, error) {
	if _, ok := algoNames[strings.ToLower(rec[0])]; ok && len(rec) >= 3 {
		r, err := row(rec[0], rec[1], strings.Join(rec[2:], ", "))
		return []Row{r}, err
	}
	r, err := row("", rec[0], strings.Join(rec[1:], ", "))
	return []Row{r}, err
}

// row validates one hash; algo may be empty (judged by length).
func row(algo, hash, label string) (Row, error) {
	hash = strings.ToLower(hash)
	if _, err := hex.DecodeString(hash); err != nil || hash == "" {
		return Row{}, fmt.Errorf("%q is not a hex hash", hash)
	}
	if algo == "" {
		switch len(hash) {
		case 16:
			algo = vigil.AlgoPHash
		case 32:
			algo = vigil.AlgoMD5
		case 64:
			return Row{}, fmt.Errorf("64 hex digits may be PDQ or SHA-256: add an algorithm column (pdq,HASH,LABEL) or a header naming the column pdq or sha256")
		default:
			return Row{}, fmt.Errorf("%d hex digits match no supported hash (phash 16, md5 32, pdq or sha256 64)", len(hash))
		}
	} else {
		a, ok := algoNames[strings.ToLower(algo)]
		if !ok {
			return Row{}, fmt.Errorf("unknown algorithm %q (want pdq, phash, md5 or sha256)", algo)
		}
		algo = a
	}
	if len(hash) != hexLen[algo] {
		return Row{}, fmt.Errorf("%s hash %q has %d hex digits, want %d", algo, hash, len(hash), hexLen[algo])
	}
	return Row{Algorithm: algo, Hash: hash, Label: label}, nil
}
