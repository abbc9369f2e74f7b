package demo

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/base32"
	"encoding/hex"
	"html"
	"strconv"
	"strings"

	xsha3 "golang.org/x/crypto/sha3"

	"vigil"
)

// Planted is one contact written on one page, with the normalised value an
// extractor must report for it (DESIGN.md §4).
//
// A WhatsApp number is written as a wa.me link, so an extractor may also
// report its digits as a phone; an e-mail in a mailto link appears in the
// text too. Those extra findings are right, and Planted does not list them.
type Planted struct {
	Kind      vigil.Kind
	Value     string // normalised value
	Text      string // the contact as written in the page's visible text
	Path      string // the page it appears on ("" in Signatures)
	Signature bool   // one of the few contacts that appear on many pages
}

// plant is a contact before it is placed on a page; link, when set, is the
// href of the <a> whose text is text.
type plant struct {
	kind        vigil.Kind
	value, text string
	link        string
	signature   bool
}

func (p plant) html() string {
	if p.link != "" {
		return `<a class="contact" rel="nofollow" href="` + html.EscapeString(p.link) + `">` + html.EscapeString(p.text) + `</a>`
	}
	return `<span class="contact">` + html.EscapeString(p.text) + `</span>`
}

// Signature contacts appear on every page whose ordinal is sigPhase modulo
// sigEvery, and all of them on the index page.
const (
	sigEvery = 13
	sigPhase = 5
)

// plantsFor is the contacts written on page ord, in page order. It is the one
// source of truth for both rendering and Planted.
func (s *Site) plantsFor(ord int) []plant {
	if ord == 0 {
		return s.sigs
	}
	r := newRnd(s.cfg.Seed, keyPlant, uint64(ord))
	var out []plant
	n := 0
	if r.chance(0.45) {
		n++
		if r.chance(0.25) {
			n++
		}
	}
	for slot := range n {
		out = append(out, uniquePlant(&r, ord*4+slot))
	}
	if ord%sigEvery == sigPhase {
		out = append(out, s.sigs[(ord/sigEvery)%len(s.sigs)])
	}
	return out
}

// Planted is every contact on every page, in page order; a contact that
// appears on several pages is listed once per page.
func (s *Site) Planted() []Planted {
	var out []Planted
	for ord, path := range s.paths {
		for _, p := range s.plantsFor(ord) {
			out = append(out, Planted{Kind: p.kind, Value: p.value, Text: p.text, Path: path, Signature: p.signature})
		}
	}
	return out
}

// PlantedOn is the contacts on the page at path, or nil for unknown paths.
func (s *Site) PlantedOn(path string) []Planted {
	ord, ok := s.byPath[path]
	if !ok {
		return nil
	}
	var out []Planted
	for _, p := range s.plantsFor(ord) {
		out = append(out, Planted{Kind: p.kind, Value: p.value, Text: p.text, Path: path, Signature: p.signature})
	}
	return out
}

// Signatures is the few contacts that appear on many pages (every page
// listed by Planted with Signature set), so pivots have something to show.
// Their Path is empty.
func (s *Site) Signatures() []Planted {
	out := make([]Planted, len(s.sigs))
	for i, p := range s.sigs {
		out[i] = Planted{Kind: p.kind, Value: p.value, Text: p.text, Signature: true}
	}
	return out
}

// Unique is the planted contacts whose (Kind, Value) appears on exactly one
// page, for "find this exact contact" tests. Most non-signature contacts are
// unique; phone numbers come from small fictional ranges and may repeat on
// large sites.
func (s *Site) Unique() []Planted {
	all := s.Planted()
	type key struct {
		k vigil.Kind
		v string
	}
	pages := make(map[key]string)
	count := make(map[key]int)
	for _, p := range all {
		k := key{p.Kind, p.Value}
		if pages[k] != p.Path {
			count[k]++
			pages[k] = p.Path
		}
	}
	var out []Planted
	for _, p := range all {
		if count[key{p.Kind, p.Value}] == 1 {
			out = append(out, p)
		}
	}
	return out
}

// Decoys is text on the site that looks like a contact but is not one: onion
// addresses and bitcoin addresses with broken checksums. Value is the text as
// written; an extractor must not report it.
func (s *Site) Decoys() []Planted {
	var out []Planted
	for ord, path := range s.paths {
		for _, p := range s.decoysFor(ord) {
			out = append(out, Planted{Kind: p.kind, Value: p.value, Text: p.text, Path: path})
		}
	}
	return out
}

func (s *Site) decoysFor(ord int) []plant {
	r := newRnd(s.cfg.Seed, keyDecoy, uint64(ord))
	var out []plant
	if r.chance(0.04) {
		a := badOnion(&r)
		out = append(out, plant{kind: vigil.KindOnion, value: a, text: "old mirror (dead): " + a})
	}
	if r.chance(0.03) {
		a := badBTC(&r)
		out = append(out, plant{kind: vigil.KindBTC, value: a, text: "old wallet, do not use: " + a})
	}
	return out
}

// signatureContacts is the fixed set of contacts shared by many pages.
func signatureContacts(seed int64) []plant {
	r := newRnd(seed, keySignature)
	tg := "Harbor_Desk_" + strconv.FormatUint(r.next()%1e6, 36)
	ph := phoneAt(int(r.next()%phonePoolSize)/5*5, 0) // a US number
	wa := phoneAt(int(r.next()%phonePoolSize)/5*5+1, 0)
	local := "support." + strconv.FormatUint(r.next()%1e6, 36)
	on := onionAddr(randBytes(&r, 32))
	btc := bech32Addr(randBytes(&r, 20))
	sigs := []plant{
		{kind: vigil.KindTelegram, value: strings.ToLower(tg), text: "t.me/" + tg, link: "https://t.me/" + tg},
		{kind: vigil.KindPhone, value: ph.e164, text: ph.text},
		{kind: vigil.KindEmail, value: local + "@example.org", text: local + " [at] example [dot] org"},
		{kind: vigil.KindWhatsApp, value: wa.e164, text: "wa.me/" + wa.e164[1:], link: "https://wa.me/" + wa.e164[1:]},
		{kind: vigil.KindOnion, value: on, text: "mirror: " + on},
		{kind: vigil.KindBTC, value: btc, text: "donations: " + btc},
	}
	for i := range sigs {
		sigs[i].signature = true
	}
	return sigs
}

// uniquePlant makes a contact that no other page carries (uniq is distinct
// per page and slot), except that phone numbers come from a small pool.
func uniquePlant(r *rnd, uniq int) plant {
	u36 := strconv.FormatInt(int64(uniq), 36)
	switch w := r.intn(100); {
	case w < 20: // e-mail
		local := r.pick(firstNames) + r.pick([]string{".", "_", ""}) + r.pick(lastNames) + u36
		domain := r.pick([]string{"example.com", "example.org", "example.net", "mail.example.com"})
		value := local + "@" + domain
		switch r.intn(4) {
		case 0:
			return plant{kind: vigil.KindEmail, value: value, text: value, link: "mailto:" + value}
		case 1:
			mixed := strings.ToUpper(local[:1]) + local[1:] + "@" + strings.ToUpper(domain[:1]) + domain[1:]
			return plant{kind: vigil.KindEmail, value: value, text: mixed}
		case 2:
			return plant{kind: vigil.KindEmail, value: value, text: local + " [at] " + strings.ReplaceAll(domain, ".", " [dot] ")}
		default:
			return plant{kind: vigil.KindEmail, value: value, text: local + "(at)" + strings.ReplaceAll(domain, ".", "(dot)")}
		}
	case w < 40: // phone
		ph := phoneAt(r.intn(phonePoolSize), r.intn(4))
		return plant{kind: vigil.KindPhone, value: ph.e164, text: ph.text}
	case w < 55: // telegram
		name := strings.ToUpper(r.pick(adjectives)[:1]) + r.pick(adjectives)[1:] + "_" + r.pick(nouns) + u36
		value := strings.ToLower(name)
		switch r.intn(4) {
		case 0:
			return plant{kind: vigil.KindTelegram, value: value, text: "https://t.me/" + name, link: "https://t.me/" + name}
		case 1:
			return plant{kind: vigil.KindTelegram, value: value, text: "t.me/" + name, link: "https://t.me/" + name}
		case 2:
			return plant{kind: vigil.KindTelegram, value: value, text: "telegram.me/" + name}
		default:
			return plant{kind: vigil.KindTelegram, value: value, text: "tg: @" + name}
		}
	case w < 65: // whatsapp
		ph := phoneAt(r.intn(phonePoolSize), 0)
		d := ph.e164[1:]
		return plant{kind: vigil.KindWhatsApp, value: ph.e164, text: "https://wa.me/" + d, link: "https://wa.me/" + d}
	case w < 75: // onion
		a := onionAddr(randBytes(r, 32))
		if r.intn(2) == 0 {
			return plant{kind: vigil.KindOnion, value: a, text: "http://" + a + "/"}
		}
		return plant{kind: vigil.KindOnion, value: a, text: a}
	case w < 83: // btc
		if r.intn(2) == 0 {
			a := bech32Addr(randBytes(r, 20))
			return plant{kind: vigil.KindBTC, value: a, text: a}
		}
		a := base58Check(0x00, randBytes(r, 20))
		return plant{kind: vigil.KindBTC, value: a, text: a}
	case w < 89: // eth
		b := randBytes(r, 20)
		lower := "0x" + hex.EncodeToString(b)
		if r.intn(3) == 0 {
			return plant{kind: vigil.KindETH, value: lower, text: lower}
		}
		return plant{kind: vigil.KindETH, value: lower, text: eip55(b)}
	case w < 92: // trx
		a := base58Check(0x41, randBytes(r, 20))
		return plant{kind: vigil.KindTRX, value: a, text: a}
	case w < 97: // pgp
		fp := strings.ToUpper(hex.EncodeToString(randBytes(r, 20)))
		var b strings.Builder
		b.WriteString("PGP fingerprint: ")
		for i := 0; i < 40; i += 4 {
			if i == 20 {
				b.WriteString(" ")
			}
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(fp[i : i+4])
		}
		return plant{kind: vigil.KindPGP, value: fp, text: b.String()}
	default: // session ID
		id := "05" + hex.EncodeToString(randBytes(r, 32))
		return plant{kind: vigil.KindSession, value: id, text: "Session: " + id}
	}
}

func randBytes(r *rnd, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.next())
	}
	return b
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// onionAddr is the v3 onion host (lower-case, with ".onion") of a 32-byte
// ed25519 public key: base32(pubkey || checksum[:2] || 0x03) with
// checksum = SHA3-256(".onion checksum" || pubkey || 0x03).
func onionAddr(pub []byte) string {
	sum := sha3.Sum256(append(append([]byte(".onion checksum"), pub...), 3))
	raw := append(append(append([]byte(nil), pub...), sum[0], sum[1]), 3)
	return strings.ToLower(b32.EncodeToString(raw)) + ".onion"
}

// badOnion is a v3-shaped onion host whose checksum is wrong.
func badOnion(r *rnd) string {
	pub := randBytes(r, 32)
	sum := sha3.Sum256(append(append([]byte(".onion checksum"), pub...), 3))
	raw := append(append(append([]byte(nil), pub...), sum[0]^0x5a, sum[1]), 3)
	return strings.ToLower(b32.EncodeToString(raw)) + ".onion"
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Check is the Base58Check encoding of version || payload.
func base58Check(version byte, payload []byte) string {
	data := append([]byte{version}, payload...)
	h1 := sha256.Sum256(data)
	h2 := sha256.Sum256(h1[:])
	return base58(append(data, h2[:4]...))
}

// badBTC is a P2PKH-shaped address whose checksum is wrong.
func badBTC(r *rnd) string {
	data := append([]byte{0}, randBytes(r, 20)...)
	h1 := sha256.Sum256(data)
	h2 := sha256.Sum256(h1[:])
	h2[0] ^= 0xff
	return base58(append(data, h2[:4]...))
}

func base58(b []byte) string {
	digits := []byte{}
	for _, c := range b {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	var out strings.Builder
	for _, c := range b {
		if c != 0 {
			break
		}
		out.WriteByte('1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out.WriteByte(base58Alphabet[digits[i]])
	}
	return out.String()
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// bech32Addr is the mainnet P2WPKH (witness v0, bech32) address of a 20-byte
// key hash.
func bech32Addr(prog []byte) string {
	const hrp = "bc"
	data := []byte{0}
	acc, bits := 0, 0
	for _, b := range prog {
		acc = acc<<8 | int(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			data = append(data, byte(acc>>bits&31))
		}
	}
	if bits > 0 {
		data = append(data, byte(acc<<(5-bits)&31))
	}
	var exp []byte
	for i := range len(hrp) {
		exp = append(exp, hrp[i]>>5)
	}
	exp = append(exp, 0)
	for i := range len(hrp) {
		exp = append(exp, hrp[i]&31)
	}
	mod := bech32Polymod(append(append(exp, data...), 0, 0, 0, 0, 0, 0)) ^ 1
	var out strings.Builder
	out.WriteString(hrp + "1")
	for _, d := range data {
		out.WriteByte(bech32Charset[d])
	}
	for i := range 6 {
		out.WriteByte(bech32Charset[(mod>>(5*(5-i)))&31])
	}
	return out.String()
}

// eip55 is the mixed-case checksummed form of an Ethereum address.
func eip55(addr []byte) string {
	lower := hex.EncodeToString(addr)
	h := xsha3.NewLegacyKeccak256()
	h.Write([]byte(lower))
	sum := h.Sum(nil)
	out := []byte(lower)
	for i, c := range out {
		nib := sum[i/2] >> 4
		if i%2 == 1 {
			nib = sum[i/2] & 15
		}
		if c >= 'a' && nib >= 8 {
			out[i] = c - 32
		}
	}
	return "0x" + string(out)
}

// A phone number from the ranges reserved for fiction, as written and in
// E.164. All of them are valid numbers for libphonenumber.
type phone struct{ text, e164 string }

// The pool: US 555-0100..0199 in ten area codes, UK Ofcom drama ranges (London,
// Manchester, Leeds), Australian ACMA 5550 ranges, French ARCEP 01 99 00 and
// German 030 23125.
const phonePoolSize = 5 * 10000

var usAreas = []string{"201", "212", "213", "305", "312", "415", "617", "702", "718", "206"}
var ukRanges = [][2]string{{"20", "7946 0"}, {"161", "496 0"}, {"113", "496 0"}}
var auAreas = []string{"2", "3", "7", "8"}

// phoneAt is pool number k written in style (0..3); k modulo 5 picks the
// country.
func phoneAt(k, style int) phone {
	j := k / 5
	pad := func(n, w int) string {
		s := strconv.Itoa(n)
		return strings.Repeat("0", w-len(s)) + s
	}
	switch k % 5 {
	case 0: // US
		j %= 1000
		area, line := usAreas[j/100], "01"+pad(j%100, 2)
		e := "+1" + area + "555" + line
		switch style {
		case 0:
			return phone{"+1 (" + area + ") 555-" + line, e}
		case 1:
			return phone{"+1-" + area + "-555-" + line, e}
		case 2:
			return phone{"+1 " + area + " 555 " + line, e}
		default:
			return phone{"+1." + area + ".555." + line, e}
		}
	case 1: // UK
		j %= 3000
		rg, n := ukRanges[j/1000], pad(j%1000, 3)
		e := "+44" + rg[0] + strings.ReplaceAll(rg[1], " ", "") + n
		if style%2 == 1 {
			return phone{e, e}
		}
		return phone{"+44 " + rg[0] + " " + rg[1] + n, e}
	case 2: // Australia
		j %= 40000
		area, n := auAreas[j/10000], pad(j%10000, 4)
		return phone{"+61 " + area + " 5550 " + n, "+61" + area + "5550" + n}
	case 3: // France
		n := pad(j%10000, 4)
		return phone{"+33 1 99 00 " + n[:2] + " " + n[2:], "+33199" + "00" + n}
	default: // Germany
		n := pad(j%1000, 3)
		return phone{"+49 30 23125 " + n, "+493023125" + n}
	}
}
