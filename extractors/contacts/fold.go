package contacts

// fold returns text as the scans read it, and for each byte of the result
// the offset in text of the character it came from (plus one entry for the
// end). Invisible format characters are dropped (zero-width space, joiner
// and non-joiner, word joiner, byte order mark, soft hyphen, direction
// marks and embeddings): they split "bob\u200b@example.com" for a program
// but not for a reader. Arabic-Indic and full-width digits become ASCII
// digits, the full-width '+', '@', '.', '-' and parentheses their ASCII
// forms, and no-break, thin and ideographic spaces a space. When there is
// nothing to fold, fold returns text and a nil map.
func fold(text string) (string, []int) {
	first := -1
	for i := 0; i < len(text); i++ {
		if b := text[i]; b >= 0xC2 {
			if _, n := foldRune(text[i:]); n > 0 {
				first = i
				break
			}
		}
	}
	if first < 0 {
		return text, nil
	}
	out := make([]byte, 0, len(text))
	omap := make([]int, 0, len(text)+1)
	out = append(out, text[:first]...)
	for i := range first {
		omap = append(omap, i)
	}
	for i := first; i < len(text); {
		if b := text[i]; b >= 0xC2 {
			if r, n := foldRune(text[i:]); n > 0 {
				if r != 0 {
					out = append(out, r)
					omap = append(omap, i)
				}
				i += n
				continue
			}
		}
		out = append(out, text[i])
		omap = append(omap, i)
		i++
	}
	return string(out), append(omap, len(text))
}

// foldRune returns the ASCII byte that the character at the start of s
// reads as (0 when it is dropped) and its length in bytes, or n == 0 when
// it is kept as it is.
func foldRune(s string) (r byte, n int) {
	if len(s) < 2 {
		return 0, 0
	}
	b0, b1 := s[0], s[1]
	switch b0 {
	case 0xC2:
		switch b1 {
		case 0xA0: // no-break space
			return ' ', 2
		case 0xAD: // soft hyphen
			return 0, 2
		}
	case 0xD9: // Arabic-Indic digits U+0660-0669
		if b1 >= 0xA0 && b1 <= 0xA9 {
			return '0' + b1 - 0xA0, 2
		}
	case 0xDB: // extended Arabic-Indic digits U+06F0-06F9
		if b1 >= 0xB0 && b1 <= 0xB9 {
			return '0' + b1 - 0xB0, 2
		}
	}
	if len(s) < 3 {
		return 0, 0
	}
	b2 := s[2]
	switch {
	case b0 == 0xE2 && b1 == 0x80:
		switch {
		case b2 >= 0x8B && b2 <= 0x8F, b2 >= 0xAA && b2 <= 0xAE: // zero-width, direction marks and embeddings
			return 0, 3
		case b2 == 0x87 || b2 == 0x89 || b2 == 0xAF: // figure, thin and narrow no-break spaces
			return ' ', 3
		case b2 == 0x90 || b2 == 0x91: // hyphen, non-breaking hyphen
			return '-', 3
		}
	case b0 == 0xE2 && b1 == 0x81:
		if b2 >= 0xA0 && b2 <= 0xA4 || b2 >= 0xA6 && b2 <= 0xA9 { // word joiner, invisible operators, isolates
			return 0, 3
		}
	case b0 == 0xE3 && b1 == 0x80 && b2 == 0x80: // ideographic space
		return ' ', 3
	case b0 == 0xEF && b1 == 0xBB && b2 == 0xBF: // byte order mark
		return 0, 3
	case b0 == 0xEF && b1 == 0xBC:
		switch {
		case b2 >= 0x90 && b2 <= 0x99: // full-width digits
			return '0' + b2 - 0x90, 3
		case b2 == 0x8B:
			return '+', 3
		case b2 == 0xA0:
			return '@', 3
		case b2 == 0x8E:
			return '.', 3
		case b2 == 0x8D:
			return '-', 3
		case b2 == 0x88:
			return '(', 3
		case b2 == 0x89:
			return ')', 3
		}
	}
	return 0, 0
}
