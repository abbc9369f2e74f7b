package contacts

import (
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"slices"
	"strings"

	xsha3 "golang.org/x/crypto/sha3"
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

func base58Encode(b []byte) string {
	const alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, big.NewInt(58), mod)
		out = append(out, alpha[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	slices.Reverse(out)
	return string(out)
}

func base58CheckEncode(version byte, payload []byte) string {
	b := append([]byte{version}, payload...)
	h1 := sha256.Sum256(b)
	h2 := sha256.Sum256(h1[:])
	return base58Encode(append(b, h2[:4]...))
}

// makeBTC returns a P2PKH (p2sh false) or P2SH address from seed.
func makeBTC(seed string, p2sh bool) string {
	v := byte(0)
	if p2sh {
		v = 5
	}
	return base58CheckEncode(v, seedBytes(seed, 20))
}

func makeTRX(seed string) string { return base58CheckEncode(0x41, seedBytes(seed, 20)) }

func bech32Checksum(hrp string, data []byte, m bool) []byte {
	var v []byte
	for i := 0; i < len(hrp); i++ {
		v = append(v, hrp[i]>>5)
	}
	v = append(v, 0)
	for i := 0; i < len(hrp); i++ {
		v = append(v, hrp[i]&31)
	}
	v = append(append(v, data...), 0, 0, 0, 0, 0, 0)
	c := uint32(1)
	if m {
		c = 0x2bc830a3
	}
	pm := bech32Polymod(v) ^ c
	out := make([]byte, 6)
	for i := range out {
		out[i] = byte(pm>>(5*(5-i))) & 31
	}
	return out
}

// makeSegwit returns a bc1 address of witness version ver with an n-byte
// program from seed.
func makeSegwit(seed string, ver byte, n int) string {
	prog := seedBytes(seed, n)
	data := []byte{ver}
	var acc, nb uint32
	for _, b := range prog {
		acc = acc<<8 | uint32(b)
		nb += 8
		for nb >= 5 {
			nb -= 5
			data = append(data, byte(acc>>nb)&31)
		}
	}
	if nb > 0 {
		data = append(data, byte(acc<<(5-nb))&31)
	}
	data = append(data, bech32Checksum("bc", data, ver > 0)...)
	out := []byte("bc1")
	for _, d := range data {
		out = append(out, "qpzry9x8gf2tvdw0s3jn54khce6mua7l"[d])
	}
	return string(out)
}

func keccak(b []byte) []byte {
	k := xsha3.NewLegacyKeccak256()
	k.Write(b)
	return k.Sum(nil)
}

// makeETH returns an EIP-55 checksummed address from seed.
func makeETH(seed string) string {
	h := hex.EncodeToString(seedBytes(seed, 20))
	sum := keccak([]byte(h))
	out := []byte(h)
	for i := range out {
		nib := sum[i/2] >> 4
		if i%2 == 1 {
			nib = sum[i/2] & 0xf
		}
		if out[i] >= 'a' && nib >= 8 {
			out[i] -= 'a' - 'A'
		}
	}
	return "0x" + string(out)
}

// makeXMR returns a Monero address with network byte net (18 standard, 42
// subaddress, 19 integrated).
func makeXMR(seed string, net byte) string {
	n := 64
	if net == 19 {
		n = 72
	}
	b := append([]byte{net}, seedBytes(seed, n)...)
	b = append(b, keccak(b)[:4]...)
	const alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	sizes := []int{0, 2, 3, 5, 6, 7, 9, 10, 11}
	var out []byte
	for len(b) > 0 {
		k := min(8, len(b))
		var num uint64
		for _, c := range b[:k] {
			num = num<<8 | uint64(c)
		}
		blk := make([]byte, sizes[k])
		for i := len(blk) - 1; i >= 0; i-- {
			blk[i] = alpha[num%58]
			num /= 58
		}
		out = append(out, blk...)
		b = b[k:]
	}
	return string(out)
}

func makeSession(seed string) string { return "05" + hex.EncodeToString(seedBytes(seed, 32)) }

// makePGPKey returns an armored v4 Ed25519 public key (key packet and user
// ID packet) derived from seed, and its fingerprint computed independently.
func makePGPKey(seed, uid string) (armored, fingerprint string) {
	pub := ed25519.NewKeyFromSeed(seedBytes(seed, 32)).Public().(ed25519.PublicKey)
	body := []byte{4, 0x65, 0x00, 0x00, 0x00, 22, 9, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01, 0x01, 0x07, 0x40}
	body = append(body, pub...)
	pkt := append([]byte{0xC6, byte(len(body))}, body...) // new format, tag 6
	pkt = append(pkt, 0xCD, byte(len(uid)))               // new format, tag 13
	pkt = append(pkt, uid...)
	fp := sha1.Sum(append([]byte{0x99, 0, byte(len(body))}, body...))
	b64 := base64.StdEncoding.EncodeToString(pkt)
	var sb strings.Builder
	sb.WriteString("-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG v2\nComment: seed " + seed + "\n\n")
	for len(b64) > 64 {
		sb.WriteString(b64[:64] + "\n")
		b64 = b64[64:]
	}
	crc := crc24(pkt)
	sb.WriteString(b64 + "\n=" + base64.StdEncoding.EncodeToString([]byte{byte(crc >> 16), byte(crc >> 8), byte(crc)}) + "\n")
	sb.WriteString("-----END PGP PUBLIC KEY BLOCK-----")
	return sb.String(), strings.ToUpper(hex.EncodeToString(fp[:]))
}

func crc24(b []byte) uint32 {
	crc := uint32(0xB704CE)
	for _, c := range b {
		crc ^= uint32(c) << 16
		for i := 0; i < 8; i++ {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= 0x1864CFB
			}
		}
	}
	return crc & 0xFFFFFF
}

// groupFP prints a fingerprint as GnuPG does: ten groups of four, two
// spaces in the middle.
func groupFP(fp string) string {
	var sb strings.Builder
	for i := 0; i < 40; i += 4 {
		if i == 20 {
			sb.WriteByte(' ')
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(fp[i : i+4])
	}
	return sb.String()
}
