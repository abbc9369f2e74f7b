package contacts

import (
	"crypto/sha256"
	"math/bits"
	"strings"

	"golang.org/x/crypto/sha3"

	"vigil"
)

// runs reads each maximal run of ASCII letters and digits long enough to be
// an address and validates it as the kind its shape suggests: btc (base58check
// or bech32/bech32m), eth (0x + 40 hex, EIP-55 when mixed case), xmr (monero
// base58 with keccak checksum), trx (base58check, version 0x41) or a session
// ID (66 hex starting 05).
func (c *collector) runs() {
	t := c.text
	for i := 0; i < len(t); {
		if !isAlnum(t[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(t) && isAlnum(t[j]) {
			j++
		}
		if n := j - i; n >= 26 && n <= 110 && !c.isClaimed(i) && (i == 0 || t[i-1] != '_' && t[i-1] != '-') && (j == len(t) || t[j] != '_' && t[j] != '-') {
			c.run(t[i:j], i, j)
		}
		i = j
	}
}

func (c *collector) run(s string, start, end int) {
	switch {
	case len(s) == 42 && s[0] == '0' && s[1] == 'x':
		if v, ok := validETH(s); ok {
			c.add(vigil.KindETH, v, start, end)
		}
	case len(s) >= 14 && len(s) <= 90 && strings.EqualFold(s[:3], "bc1"):
		if validSegwit(s) {
			c.add(vigil.KindBTC, s, start, end)
		}
	case (s[0] == '1' || s[0] == '3') && len(s) <= 35:
		if v, ok := base58Check(s); ok && (v == 0x00 || v == 0x05) {
			c.add(vigil.KindBTC, s, start, end)
		}
	case s[0] == 'T' && len(s) == 34:
		if v, ok := base58Check(s); ok && v == 0x41 {
			c.add(vigil.KindTRX, s, start, end)
		}
	case (s[0] == '4' || s[0] == '8') && (len(s) == 95 || len(s) == 106):
		if validXMR(s) {
			c.add(vigil.KindXMR, s, start, end)
		}
	case len(s) == 66 && s[0] == '0' && s[1] == '5':
		if isHexString(s) && (s == strings.ToLower(s) || s == strings.ToUpper(s)) {
			c.add(vigil.KindSession, strings.ToLower(s), start, end)
		}
	}
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// validETH checks s ("0x" + 40 hex) and returns its lower-case form. A
// mixed-case address must carry a valid EIP-55 checksum; the zero address is
// not a contact.
func validETH(s string) (string, bool) {
	h := s[2:]
	if !isHexString(h) || strings.Trim(h, "0") == "" {
		return "", false
	}
	lower := strings.ToLower(h)
	if h != lower && h != strings.ToUpper(h) {
		k := sha3.NewLegacyKeccak256()
		k.Write([]byte(lower))
		sum := k.Sum(nil)
		for i := 0; i < 40; i++ {
			c := h[i]
			if c < 'A' || c > 'f' || c >= '0' && c <= '9' {
				continue
			}
			nib := sum[i/2] >> 4
			if i%2 == 1 {
				nib = sum[i/2] & 0xf
			}
			if (nib >= 8) != (c >= 'A' && c <= 'F') {
				return "", false
			}
		}
	}
	return "0x" + lower, true
}

const b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var b58Index [256]int8

func init() {
	for i := range b58Index {
		b58Index[i] = -1
	}
	for i := 0; i < len(b58Alphabet); i++ {
		b58Index[b58Alphabet[i]] = int8(i)
	}
}

// base58Decode decodes s as a big-endian base58 number with leading '1's as
// zero bytes. It returns false for a character outside the alphabet.
func base58Decode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		v := b58Index[s[i]]
		if v < 0 {
			return nil, false
		}
		carry := int(v)
		for j := len(out) - 1; j >= 0; j-- {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append([]byte{byte(carry)}, out...)
			carry >>= 8
		}
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	return append(make([]byte, zeros, zeros+len(out)), out...), true
}

// base58Check validates a 25-byte base58check payload and returns its
// version byte.
func base58Check(s string) (byte, bool) {
	b, ok := base58Decode(s)
	if !ok || len(b) != 25 {
		return 0, false
	}
	h1 := sha256.Sum256(b[:21])
	h2 := sha256.Sum256(h1[:])
	if h2[0] != b[21] || h2[1] != b[22] || h2[2] != b[23] || h2[3] != b[24] {
		return 0, false
	}
	return b[0], true
}

// Monero base58 encodes 8-byte blocks as 11 characters; a short final block
// of n bytes takes xmrBlockChars[n] characters.
var xmrBlockChars = [9]int{0, 2, 3, 5, 6, 7, 9, 10, 11}

func xmrDecode(s string) ([]byte, bool) {
	var out []byte
	for len(s) > 0 {
		n := min(11, len(s))
		blk := s[:n]
		s = s[n:]
		size := -1
		for k, c := range xmrBlockChars {
			if c == n {
				size = k
			}
		}
		if size <= 0 {
			return nil, false
		}
		var num uint64
		for i := 0; i < len(blk); i++ {
			v := b58Index[blk[i]]
			if v < 0 {
				return nil, false
			}
			hi, lo := bits.Mul64(num, 58)
			lo, carry := bits.Add64(lo, uint64(v), 0)
			if hi != 0 || carry != 0 {
				return nil, false
			}
			num = lo
		}
		if size < 8 && num>>(8*size) != 0 {
			return nil, false
		}
		for k := size - 1; k >= 0; k-- {
			out = append(out, byte(num>>(8*k)))
		}
	}
	return out, true
}

// validXMR checks a mainnet Monero address: standard (18), subaddress (42)
// or integrated (19), keccak-256 checksum.
func validXMR(s string) bool {
	b, ok := xmrDecode(s)
	if !ok || len(b) != 69 && len(b) != 77 {
		return false
	}
	switch {
	case len(b) == 69 && (b[0] == 18 || b[0] == 42), len(b) == 77 && b[0] == 19:
	default:
		return false
	}
	k := sha3.NewLegacyKeccak256()
	k.Write(b[:len(b)-4])
	sum := k.Sum(nil)
	return string(sum[:4]) == string(b[len(b)-4:])
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		b := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (b>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// validSegwit checks a mainnet segwit address (hrp "bc"): one case only,
// bech32 checksum for witness version 0, bech32m for 1-16, and a witness
// program of a valid length.
func validSegwit(s string) bool {
	if s != strings.ToLower(s) && s != strings.ToUpper(s) {
		return false
	}
	s = strings.ToLower(s)
	data := make([]byte, 0, len(s))
	data = append(data, 'b'>>5, 'c'>>5, 0, 'b'&31, 'c'&31)
	for i := 3; i < len(s); i++ {
		v := strings.IndexByte(bech32Charset, s[i])
		if v < 0 {
			return false
		}
		data = append(data, byte(v))
	}
	if len(data)-5 < 7 {
		return false
	}
	pm := bech32Polymod(data)
	d := data[5 : len(data)-6]
	ver := d[0]
	if ver > 16 || ver == 0 && pm != 1 || ver > 0 && pm != 0x2bc830a3 {
		return false
	}
	// Convert the program from 5-bit to 8-bit groups without padding.
	var acc, nbits uint32
	n := 0
	for _, v := range d[1:] {
		acc = acc<<5 | uint32(v)
		nbits += 5
		for nbits >= 8 {
			nbits -= 8
			n++
		}
	}
	if nbits >= 5 || acc&(1<<nbits-1) != 0 {
		return false
	}
	return n >= 2 && n <= 40 && (ver != 0 || n == 20 || n == 32)
}
