package contacts

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"vigil"
)

const (
	pgpBegin = "-----begin pgp "
	pgpEnd   = "-----end pgp "
)

// pgp finds armored public key blocks, whose v4 fingerprint it computes.
// Every armored PGP block is claimed so that its base64 is not read as
// addresses. (Printed fingerprints are found by words.)
func (c *collector) pgp() {
	l := c.lower
	for off := 0; ; {
		j := strings.Index(l[off:], pgpBegin)
		if j < 0 {
			break
		}
		start := off + j
		e := strings.Index(l[start:], pgpEnd)
		if e < 0 {
			c.claimed = append(c.claimed, span{start, len(l)})
			break
		}
		bodyEnd := start + e
		end := bodyEnd + len(pgpEnd)
		if k := strings.Index(l[end:min(len(l), end+40)], "-----"); k >= 0 {
			end += k + 5
		}
		c.claimed = append(c.claimed, span{start, end})
		off = end
		if !strings.HasPrefix(l[start+len(pgpBegin):], "public key block-----") {
			continue
		}
		if fp, ok := armoredFingerprint(c.text[start+len(pgpBegin)+len("public key block-----") : bodyEnd]); ok {
			c.add(vigil.KindPGP, fp, start, end)
		}
	}
}

// printedFingerprint looks for 40 hex digits (contiguous, or ten groups of
// four separated by one or two spaces, optionally after "0x") shortly after
// a keyword ending at i.
func (c *collector) printedFingerprint(i int) {
	t := c.text
	for s := i; s < len(t) && s < i+32; s++ {
		if t[s] == '\n' && s > i+1 {
			return
		}
		if t[s] == '0' && s+1 < len(t) && t[s+1] == 'x' {
			continue
		}
		if !isHex(t[s]) || !boundaryBefore(t, s) && !(s >= 2 && t[s-2] == '0' && t[s-1] == 'x' && boundaryBefore(t, s-2)) {
			continue
		}
		var hexd []byte
		j := s
		for j < len(t) && len(hexd) < 40 {
			if isHex(t[j]) {
				hexd = append(hexd, t[j])
				j++
				continue
			}
			if t[j] == ' ' && len(hexd)%4 == 0 {
				k := j
				for k < len(t) && t[k] == ' ' && k-j < 2 {
					k++
				}
				if k < len(t) && isHex(t[k]) {
					j = k
					continue
				}
			}
			break
		}
		if len(hexd) == 40 && boundaryAfter(t, j) {
			start := s
			if s >= 2 && t[s-1] == 'x' {
				start = s - 2
			}
			c.add(vigil.KindPGP, strings.ToUpper(string(hexd)), start, j)
			c.claimed = append(c.claimed, span{start, j})
		}
		return
	}
}

// gpgListing reads the primary key's fingerprint in a `gpg --list-keys`
// listing whose "pub " starts a line at start and ends at i:
//
//	pub   rsa3072 2019-10-09 [SC]
//	      C74547E55A6694E3DBEC176A5009562A5BD2989B
//
// The pub line must carry the key's creation date; the fingerprint is the
// indented line after it (subkeys follow on "sub" lines and are not read).
func (c *collector) gpgListing(start, i int) {
	t := c.text
	if strings.TrimLeft(t[lineStart(t, start):start], " \t") != "" || c.isClaimed(start) {
		return
	}
	eol := strings.IndexByte(t[i:], '\n')
	if eol < 0 || eol > 100 || !hasISODate(t[i:i+eol]) {
		return
	}
	c.printedFingerprint(i + eol)
}

// hasISODate reports whether s contains a date written yyyy-mm-dd.
func hasISODate(s string) bool {
	for k := 0; k+10 <= len(s); k++ {
		d := s[k : k+10]
		if d[4] == '-' && d[7] == '-' && isDigit(d[0]) && isDigit(d[1]) && isDigit(d[2]) && isDigit(d[3]) &&
			isDigit(d[5]) && isDigit(d[6]) && isDigit(d[8]) && isDigit(d[9]) {
			return true
		}
	}
	return false
}

// armoredFingerprint decodes the body of an armored public key block (header
// lines, base64, "=CRC") and returns the upper-case hex v4 fingerprint of its
// first public key packet. Line breaks may have been lost: the base64 starts
// at the first long token of base64 characters.
func armoredFingerprint(body string) (string, bool) {
	var b64 strings.Builder
	started := false
	for _, tok := range strings.Fields(body) {
		if strings.HasPrefix(tok, "=") && len(tok) == 5 && started {
			break
		}
		if !isBase64(tok) {
			if started {
				return "", false
			}
			continue
		}
		if !started && len(tok) < 16 {
			continue
		}
		started = true
		b64.WriteString(tok)
	}
	s := b64.String()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "", false
		}
	}
	tag, pkt, ok := firstPacket(raw)
	if !ok || tag != 6 || len(pkt) < 6 || pkt[0] != 4 || len(pkt) > 0xffff {
		return "", false
	}
	h := sha1.New()
	h.Write([]byte{0x99, byte(len(pkt) >> 8), byte(len(pkt))})
	h.Write(pkt)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), true
}

func isBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '+' && c != '/' && c != '=' {
			return false
		}
	}
	return true
}

// firstPacket parses the OpenPGP packet header at the start of raw (old or
// new format, RFC 4880 §4.2) and returns its tag and body.
func firstPacket(raw []byte) (tag int, body []byte, ok bool) {
	if len(raw) < 2 || raw[0]&0x80 == 0 {
		return 0, nil, false
	}
	var n, hl int
	if raw[0]&0x40 != 0 {
		tag = int(raw[0] & 0x3f)
		switch o := int(raw[1]); {
		case o < 192:
			n, hl = o, 2
		case o < 224:
			if len(raw) < 3 {
				return 0, nil, false
			}
			n, hl = (o-192)<<8+int(raw[2])+192, 3
		case o == 255:
			if len(raw) < 6 {
				return 0, nil, false
			}
			n, hl = int(raw[2])<<24|int(raw[3])<<16|int(raw[4])<<8|int(raw[5]), 6
		default:
			return 0, nil, false // partial lengths are not allowed for keys
		}
	} else {
		tag = int(raw[0]>>2) & 0xf
		switch raw[0] & 3 {
		case 0:
			n, hl = int(raw[1]), 2
		case 1:
			if len(raw) < 3 {
				return 0, nil, false
			}
			n, hl = int(raw[1])<<8|int(raw[2]), 3
		case 2:
			if len(raw) < 5 {
				return 0, nil, false
			}
			n, hl = int(raw[1])<<24|int(raw[2])<<16|int(raw[3])<<8|int(raw[4]), 5
		default:
			n, hl = len(raw)-1, 1
		}
	}
	if n < 0 || hl+n > len(raw) {
		return 0, nil, false
	}
	return tag, raw[hl : hl+n], true
}
