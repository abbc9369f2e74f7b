package contacts

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"vigil"
)

// got returns "kind:value" of each finding, in order.
func got(fs []vigil.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s:%s", f.Kind, f.Value)
	}
	return out
}

func extract(region, text string, links ...string) []vigil.Finding {
	return New(Config{Region: region}).Extract(&vigil.Page{Text: text, Links: links})
}

func TestExtractTable(t *testing.T) {
	onion := makeOnion("t1")
	tests := []struct {
		name, region, text string
		want               []string
	}{
		{"plain email is lower-cased", "", "Write to Bob.Smith+ads@Example.COM today.", []string{"email:bob.smith+ads@example.com"}},
		{"bracket obfuscation", "", "mail: anna [at] proton [dot] me", []string{"email:anna@proton.me"}},
		{"paren obfuscation", "", "anna(at)mail(dot)ru please", []string{"email:anna@mail.ru"}},
		{"spelled obfuscation", "", "contact kate at yandex dot ru now", []string{"email:kate@yandex.ru"}},
		{"spelled at with a webmail host", "", "reach me: lily at gmail.com", []string{"email:lily@gmail.com"}},
		{"prose with at is not an email", "", "Look at example.com or meet at noon. Arrive at 5.", nil},
		{"retina file names are not emails", "", "img photo@2x.png and icon@3x.jpg", nil},
		{"handle without local part is not an email", "", "follow @someone on x", nil},
		{"us phone with default region", "", "Call (415) 555-0132 now", []string{"phone:+14155550132"}},
		{"international phone", "US", "Tel +44 7911 123456.", []string{"phone:+447911123456"}},
		{"region applies to national numbers", "DE", "Ruf an: 030 12345678", []string{"phone:+493012345678"}},
		{"00 international prefix", "", "call 0044 7911 123456", []string{"phone:+447911123456"}},
		{"whatsapp keyword", "", "WhatsApp: +1 415 555 0132", []string{"phone:+14155550132", "whatsapp:+14155550132"}},
		{"dates are not phones", "", "Posted 2024-01-15, updated 15.01.2024 and 01/15/2024", nil},
		{"ips and versions are not phones", "", "server 192.168.100.123 runs v10.0.19045.2364 and 1.22.333.4444", nil},
		{"prices are not phones", "", "Price: $4155550132 or 4 155 550 132 € or 4155550132 USD", nil},
		{"order numbers are not phones", "", "Order #4155550132, invoice 4155550132", nil},
		{"onion v3", "", "mirror: http://" + strings.ToUpper(onion) + "/index", []string{"onion:" + onion}},
		{"an unassigned country code is not read again under the region", "DE", "Handy: +286 161 770 2555 or +999 30 1234567", nil},
		{"national numbers carry the trunk prefix where the region writes one", "DE", "id 1709563860, Tel. 0170 9563860", []string{"phone:+491709563860"}},
		{"dotted numbers with a trunk prefix are phones", "FR", "Tél : 06.12.34.56.78", []string{"phone:+33612345678"}},
		{"digits inside longer tokens are not phones", "GB", "parcel 9400 1000 0000 0000 0000 00, card 4111 1111 1111 1111, IBAN GB29 NWBK 6016 1331 9268 19", nil},
		{"no part of a long run of digit groups is a phone", "US", "<Buffer 74 68 69 73 20 69 73 20 61 20 74 65 73 74>", nil},
		{"a date before a number is a token of its own", "DE", "05.01.2024 0151 23456789", []string{"phone:+4915123456789"}},
		{"addresses and versions with or without ports are not phones", "US", "proxy 203.0.113.254:9050 on Chrome 121.0.6167.85", nil},
		{"pagination, year ranges and amounts are not phones", "CN", "« 41 42 43 44 45 » © 2015-2024 total 3.450.000 VND", nil},
		{"references in other languages are not phones", "US", "Sendungsnummer 6187232488, Заказ 4155550132", nil},
		{"unix times are not phones", "IN", "created 1741210490 ms 1741210490123", nil},
		{"arabic-indic digits", "EG", "هاتف: ٠١٠ ٢٧٣٧ ٦٣٠٥", []string{"phone:+201027376305"}},
		{"full-width digits and plus", "JP", "電話：＋８１ ９０ １２３４ ５６７８", []string{"phone:+819012345678"}},
		{"zero-width characters inside a number", "GB", "Mob: 07911\u200b 123\ufeff456", []string{"phone:+447911123456"}},
		{"whatsapp named in another script", "RU", "Вотсап ➜ 8 (912) 345-67-89", []string{"phone:+79123456789", "whatsapp:+79123456789"}},
		{"bracketed symbols", "", "anna[@]proton[.]me or kate (@) mail (.) ru", []string{"email:anna@proton.me", "email:kate@mail.ru"}},
		{"dashed words", "", "mail: lily -at- riseup -dot- net", []string{"email:lily@riseup.net"}},
		{"spaced symbols", "", "write bob @ posteo . de", []string{"email:bob@posteo.de"}},
		{"bare words after an e-mail label take any domain", "", "Courriel : nina AT studio DOT agency", []string{"email:nina@studio.agency"}},
		{"bare words without a label need a common domain", "", "meet nina at studio dot agency", nil},
		{"zero-width characters inside an address", "", "E-mail: ma\u200dria@tuta\u2060.io", []string{"email:maria@tuta.io"}},
		{"onion with a wrong character", "", "mirror " + flip(onion, 3), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := extract(tc.region, tc.text)
			if g := got(fs); strings.Join(g, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %q, want %q", g, tc.want)
			}
			for _, f := range fs {
				if !utf8.ValidString(f.Snippet) || f.Snippet == "" {
					t.Errorf("bad snippet %q", f.Snippet)
				}
			}
		})
	}
}

// flip changes the character at i to a different one of the same class.
func flip(s string, i int) string {
	b := []byte(s)
	switch {
	case b[i] == 'a':
		b[i] = 'b'
	case b[i] == '2':
		b[i] = '3'
	case b[i] >= 'a' && b[i] <= 'z', b[i] >= 'A' && b[i] <= 'Z':
		b[i]--
	default:
		b[i]++
		if b[i] > '9' {
			b[i] = '1'
		}
	}
	return string(b)
}

// TestOffsetsIgnoreFolding checks that offsets and snippets refer to the
// text as given when the scans read it folded (zero-width characters
// dropped, Arabic-Indic digits read as ASCII).
func TestOffsetsIgnoreFolding(t *testing.T) {
	text := "\u200f\u200fهاتف: \u200e٠١٠ ٢٧٣٧ ٦٣٠٥\u200e — mail x\u200by@example.org"
	fs := extract("EG", text)
	if g := strings.Join(got(fs), " "); g != "phone:+201027376305 email:xy@example.org" {
		t.Fatalf("got %q", g)
	}
	if off := strings.Index(text, "٠١٠"); fs[0].Offset != off {
		t.Errorf("phone offset %d, want %d", fs[0].Offset, off)
	}
	if off := strings.Index(text, "x\u200by"); fs[1].Offset != off {
		t.Errorf("email offset %d, want %d", fs[1].Offset, off)
	}
	for _, f := range fs {
		if !strings.Contains(text, f.Snippet) && !strings.Contains(f.Snippet, "٦٣٠٥") {
			t.Errorf("%s snippet %q is not from the text", f.Kind, f.Snippet)
		}
	}
}

// TestFindingsOutsideTheText checks that links and readable attribute
// values yield findings with Offset -1 and Attr naming where they were
// read, and that a value also in the text is reported from the text only.
func TestFindingsOutsideTheText(t *testing.T) {
	btc := makeBTC("attr1", false)
	p := &vigil.Page{
		Text:  "Pay to the address in the box. Mail anna@example.org",
		Links: []string{"mailto:anna@example.org", "https://t.me/VipAgency"},
		Attrs: []vigil.PageAttr{{Name: vigil.AttrValue, Value: btc}, {Name: vigil.AttrTitle, Value: "Telegram @VipAgency"},
			{Name: vigil.AttrAlt, Value: "Contact on Telegram ➜ @other_agency"}},
	}
	fs := New(Config{}).Extract(p)
	var g []string
	for _, f := range fs {
		g = append(g, fmt.Sprintf("%s:%s@%d/%s", f.Kind, f.Value, f.Offset, f.Attr))
	}
	want := []string{fmt.Sprintf("email:anna@example.org@%d/", strings.Index(p.Text, "anna")), "telegram:vipagency@-1/href", "btc:" + btc + "@-1/value", "telegram:other_agency@-1/alt"}
	if strings.Join(g, " ") != strings.Join(want, " ") {
		t.Errorf("got  %q\nwant %q", g, want)
	}
	if fs[2].Snippet != btc {
		t.Errorf("attribute finding's snippet %q, want the value", fs[2].Snippet)
	}
}

func TestOffsetsAndSnippets(t *testing.T) {
	text := "Hello. Contact: anna@example.org or +44 7911 123456.\nBye"
	fs := extract("", text)
	if len(fs) != 2 {
		t.Fatalf("got %v", got(fs))
	}
	for _, f := range fs {
		if !strings.Contains(f.Snippet, text[f.Offset:f.Offset+5]) {
			t.Errorf("%s: snippet %q does not hold the match at %d", f.Kind, f.Snippet, f.Offset)
		}
	}
	if fs[0].Offset != strings.Index(text, "anna") || fs[1].Offset != strings.Index(text, "+44") {
		t.Errorf("offsets %d %d", fs[0].Offset, fs[1].Offset)
	}
	if strings.Contains(fs[1].Snippet, "\n") {
		t.Errorf("snippet keeps a newline: %q", fs[1].Snippet)
	}
}
