package imagehash

import (
	"encoding/hex"
	"fmt"
	"math/bits"
)

// ParseHex decodes a hex hash (upper or lower case) into bytes. It returns an
// error for an empty string, an odd length or a non-hex digit.
func ParseHex(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("parse hash: empty")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("parse hash %q: %w", s, err)
	}
	return b, nil
}

// FormatHex encodes hash bytes as lower-case hex, the format of every hash
// in Hashes and vigil.Image.
func FormatHex(b []byte) string { return hex.EncodeToString(b) }

// ParsePDQ decodes the 64 hex digits of a PDQ hash.
func ParsePDQ(s string) (hash [32]byte, err error) {
	b, err := ParseHex(s)
	if err != nil {
		return hash, err
	}
	if len(b) != 32 {
		return hash, fmt.Errorf("parse pdq hash: %d hex digits, want 64", 2*len(b))
	}
	return [32]byte(b), nil
}

// ParsePHash decodes the 16 hex digits of a pHash64 into its uint64 value
// (goimagehash's ImageHash.GetHash).
func ParsePHash(s string) (uint64, error) {
	b, err := ParseHex(s)
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("parse phash: %d hex digits, want 16", 2*len(b))
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// Distance returns the Hamming distance between two hex hashes of equal
// length (any length: PDQ, pHash or others). It returns an error when either
// is not hex or their lengths differ.
func Distance(a, b string) (int, error) {
	x, err := ParseHex(a)
	if err != nil {
		return 0, err
	}
	y, err := ParseHex(b)
	if err != nil {
		return 0, err
	}
	if len(x) != len(y) {
		return 0, fmt.Errorf("distance: hash lengths differ (%d and %d hex digits)", 2*len(x), 2*len(y))
	}
	return HammingBytes(x, y), nil
}

// HammingBytes returns the number of differing bits of two byte slices of
// equal length; it panics if their lengths differ.
func HammingBytes(x, y []byte) int {
	if len(x) != len(y) {
		panic("imagehash: HammingBytes of slices of different lengths")
	}
	d := 0
	for i := range x {
		d += bits.OnesCount8(x[i] ^ y[i])
	}
	return d
}
