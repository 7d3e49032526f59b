package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// printf is fmt.Fprintf with every string argument passed through
// oneLine: only the format lays out lines and cells, whatever the text
// of a company, a file or a setting holds.
func printf(w io.Writer, format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = oneLine(s, 0)
		}
	}
	fmt.Fprintf(w, format, args...)
}

// oneLine keeps text on one line and, when n > 0, at most n runes, so that
// untrusted text cannot break the layout or drive the terminal: control
// characters (C0 with the newline, the tab and the ESC of ANSI sequences,
// DEL, C1), the Unicode line and paragraph separators and the
// bidirectional formatting characters, which reorder what follows them,
// become spaces; invalid UTF-8 becomes U+FFFD.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); n > 0 && len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f': // arabic letter mark, LRM, RLM
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069': // embeddings, overrides, isolates
		return true
	}
	return false
}
