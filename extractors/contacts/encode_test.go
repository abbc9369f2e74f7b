package contacts

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base32"
	"strings"
)

// Encoders that build valid identifiers from fixed bytes, for tests and the
// corpus. They are written independently of the validators they test.

func seedBytes(seed string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		s := sha256.Sum256([]byte(seed + string(rune('a'+i))))
		out = append(out, s[:]...)
	}
	return out[:n]
}

func makeOnion(seed string) string {
	pub := seedBytes(seed, 32)
	h := sha3.New256()
	h.Write([]byte(".onion checksum"))
	h.Write(pub)
	h.Write([]byte{3})
	sum := h.Sum(nil)
	raw := append(append(append([]byte{}, pub...), sum[:2]...), 3)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)) + ".onion"
}
