package vigil

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText removes terminal escape sequences, control characters and
// invisible formatting characters (bidirectional overrides among them), and
// collapses whitespace runs to one space: the form in which crawled text is
// shown in snippets, so hostile text cannot drive a terminal or reorder a
// line.
func CleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0x1b {
			i += escapeLen(s[i:])
			continue
		}
		i += n
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeLen returns the length of the escape sequence at the start of s,
// which begins with ESC: a CSI sequence (ESC [ … final byte), an OSC
// sequence (ESC ] … BEL or ESC \), or ESC and one more character.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, n := utf8.DecodeRuneInString(s[1:])
	return 1 + n
}

// Query text limits, the same for every store.
const (
	MaxQueryBytes   = 2048
	MaxQueryClauses = 32
)

// QueryClause is one word or "quoted phrase" of a query text, as written.
type QueryClause struct {
	Text   string
	Negate bool // written with a leading -
}

// ParseQueryText splits Query.Text into clauses: whitespace-separated words,
// "double-quoted phrases", and - in front of either to exclude it. Nothing
// else is syntax; each store decides how a clause is analysed. It returns an
// EINVALID error for invalid UTF-8, an unclosed quote, more than
// MaxQueryBytes bytes or MaxQueryClauses clauses.
func ParseQueryText(text string) ([]QueryClause, error) {
	if len(text) > MaxQueryBytes {
		return nil, Errorf(EINVALID, "query text is longer than %d bytes", MaxQueryBytes)
	}
	if !utf8.ValidString(text) {
		return nil, Errorf(EINVALID, "query text is not valid UTF-8")
	}
	var clauses []QueryClause
	rest := text
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			return clauses, nil
		}
		var c QueryClause
		if len(rest) > 1 && rest[0] == '-' && !unicode.IsSpace(rune(rest[1])) {
			c.Negate, rest = true, rest[1:]
		}
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, Errorf(EINVALID, "query text has an unclosed quote")
			}
			c.Text, rest = rest[1:1+end], rest[2+end:]
		} else {
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			c.Text, rest = rest[:end], rest[end:]
		}
		if len(clauses) == MaxQueryClauses {
			return nil, Errorf(EINVALID, "query text has more than %d words or phrases", MaxQueryClauses)
		}
		clauses = append(clauses, c)
	}
}
