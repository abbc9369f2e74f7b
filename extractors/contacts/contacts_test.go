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
