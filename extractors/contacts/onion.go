package contacts

import (
	"crypto/sha3"
	"encoding/base32"
	"strings"

	"vigil"
)

var onionB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// onions finds v3 onion hosts (56 base32 characters then ".onion") whose
// checksum and version byte are valid.
func (c *collector) onions() {
	l := c.lower
	for off := 0; ; {
		j := strings.Index(l[off:], ".onion")
		if j < 0 {
			return
		}
		i := off + j
		off = i + 6
		s := i - 56
		if s < 0 || !boundaryAfter(l, i+6) || (s > 0 && class[l[s-1]]&(cDigit|cLower) != 0) {
			continue
		}
		host := l[s:i]
		if validOnion(host) {
			c.add(vigil.KindOnion, host+".onion", s, i+6)
		}
	}
}

// validOnion reports whether host (56 lower-case base32 characters) is a v3
// onion address: 32-byte key, 2-byte checksum, version 3.
func validOnion(host string) bool {
	if len(host) != 56 {
		return false
	}
	for i := 0; i < len(host); i++ {
		if class[host[i]]&cB32 == 0 || isDigit(host[i]) && (host[i] < '2' || host[i] > '7') {
			return false
		}
	}
	raw, err := onionB32.DecodeString(host)
	if err != nil || len(raw) != 35 || raw[34] != 3 {
		return false
	}
	h := sha3.New256()
	h.Write([]byte(".onion checksum"))
	h.Write(raw[:32])
	h.Write([]byte{3})
	sum := h.Sum(nil)
	return sum[0] == raw[32] && sum[1] == raw[33]
}
