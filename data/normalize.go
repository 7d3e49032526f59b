package data

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeSlug turns free text into lowercase snake_case: trimmed, lower
// case, every run of characters other than letters and digits replaced
// by one underscore, and leading and trailing underscores removed.
// "Series A" and " series-a " both give "series_a". Text that is already a
// slug is returned as is, without allocating.
func NormalizeSlug(s string) string {
	if isSlug(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, c := range s {
		switch {
		case c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9'):
		case c < utf8.RuneSelf && c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= utf8.RuneSelf && (unicode.IsLetter(c) || unicode.IsDigit(c)):
			c = unicode.ToLower(c)
		default:
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte('_')
			pending = false
		}
		b.WriteRune(c)
	}
	return b.String()
}

// isSlug reports whether s is already lowercase snake_case.
func isSlug(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return s == ""
	}
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_':
			if prev == '_' {
				return false
			}
		default:
			return false
		}
		prev = c
	}
	return true
}

// NormalizeEnum trims s and turns it to lower case, allocating only when it
// changes.
func NormalizeEnum(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// NormalizeCountry trims s and turns it to upper case, allocating only when
// it changes.
func NormalizeCountry(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 0x80 {
			return strings.ToUpper(s)
		}
	}
	return s
}
