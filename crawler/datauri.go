package crawler

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// DataImage is an image found inline in a page body as a data: URI, decoded
// in memory. Ref is the placeholder that replaced the URI in the body.
type DataImage struct {
	Ref       string // RemovedImageRef(SHA256)
	SHA256    string // lower-case hex of Bytes
	MediaType string // as the URI declares it ("" when it declares none)
	Bytes     []byte
}

// removedPrefix starts the placeholder that replaces a data: image.
const removedPrefix = "vigil:removed-image:sha256:"

// RemovedImageRef is the placeholder that stands in a page's capture where
// a data: URI held the image whose SHA-256 is sha (lower-case hex). It is
// also the image's URL in the image index.
func RemovedImageRef(sha string) string { return removedPrefix + sha }

// dataURI matches a data: URI: its media type and parameters, and its
// payload up to the first character that cannot be in one (a quote,
// a parenthesis, an angle bracket, a space). Base64 wrapped over several
// lines is one payload.
var dataURI = regexp.MustCompile(`(?i)data:([a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)?((?:;[a-z0-9!#$&^_.+=-]+)*),((?:[a-z0-9+/=_.~!$*,;:@&-]|%[0-9a-f]{2})+(?:[\r\n]+(?:[a-z0-9+/=]|%[0-9a-f]{2})+)*)`)

// ScrubDataImages returns body with every data: URI that holds an image
// replaced by RemovedImageRef of the image's SHA-256, and the images,
// decoded. A data: URI holds an image when it declares an image/* type or
// when its decoded bytes are an image by Classify. Other data: URIs are left
// as they are. When there is none, clean is body itself and images is nil.
func ScrubDataImages(body []byte) (clean []byte, images []DataImage) {
	if !bytes.Contains(body, []byte("ata:")) && !bytes.Contains(body, []byte("ATA:")) {
		return body, nil
	}
	clean = dataURI.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := dataURI.FindSubmatchIndex(m)
		mediaType, params := strings.ToLower(string(m[max(sub[2], 0):max(sub[3], 0)])), strings.ToLower(string(m[sub[4]:sub[5]]))
		b64 := strings.HasSuffix(params, ";base64")
		end := sub[7]
		if b64 {
			end = sub[6] + base64Run(m[sub[6]:sub[7]])
		}
		raw := decodeDataPayload(m[sub[6]:end], b64)
		if !strings.HasPrefix(mediaType, "image/") {
			if c, _ := Classify(raw); c != ClassImage {
				return m
			}
		}
		sum := sha256.Sum256(raw)
		im := DataImage{SHA256: hex.EncodeToString(sum[:]), MediaType: mediaType, Bytes: raw}
		im.Ref = RemovedImageRef(im.SHA256)
		images = append(images, im)
		return append([]byte(im.Ref), m[end:]...)
	})
	if images == nil {
		return body, nil
	}
	return clean, images
}

// base64Run is the length of the base64 at the start of p: the alphabets
// (standard and URL-safe), padding, percent-escapes and line breaks.
func base64Run(p []byte) int {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '+', c == '/', c == '=', c == '-', c == '_', c == '\r', c == '\n':
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			i += 2
		default:
			return i
		}
	}
	return len(p)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// decodeDataPayload decodes a data: URI's payload: percent-escapes, then
// base64 when b64 is set, leniently (line breaks are skipped, the URL-safe
// alphabet is accepted, and a payload cut short or corrupt decodes as far
// as it goes).
func decodeDataPayload(payload []byte, b64 bool) []byte {
	s := string(payload)
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	if !b64 {
		return []byte(s)
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '-':
			return '+'
		case r == '_':
			return '/'
		case r == '=' || r == '\r' || r == '\n' || r == ' ' || r == '\t':
			return -1
		}
		return r
	}, s)
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(s)
	var corrupt base64.CorruptInputError
	if errors.As(err, &corrupt) {
		ok := int(corrupt) - int(corrupt)%4
		out, _ = base64.RawStdEncoding.DecodeString(s[:ok])
	}
	return out
}
