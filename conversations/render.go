package conversations

import (
	"strconv"
	"strings"

	"golang.org/x/text/unicode/bidi"
)

// Unicode bidirectional formatting characters. Locale files of right-to-left
// languages wrap embedded left-to-right values (codes, times, office names,
// addresses) in lri ... pdi themselves; Render adds rlm to choice lines.
const (
	lri = '\u2066' // left-to-right isolate
	rli = '\u2067' // right-to-left isolate
	fsi = '\u2068' // first strong isolate
	pdi = '\u2069' // pop directional isolate
	rlm = "\u200f" // right-to-left mark
)

// Render shows a reply as plain text, the way SMS and the terminal show it:
// the text, a blank line, then one choice a line, numbered from 1 in order,
// with the choice whose ID is "0" last as "0". Choices labeled with just
// their own number (a party size) share one line: "1 2 3 4 5".
//
// When the text reads right to left (Arabic), each choice line starts with
// a right-to-left mark: a phone then lays the line out right to left even
// when the label is a Latin office name or a time, so the number stays at
// the start, on the right ("City Hall 1" as the eye sees it). Nothing is
// added to left-to-right texts.
func Render(r Reply) string {
	var b strings.Builder
	b.WriteString(r.Text)
	if len(r.Choices) == 0 {
		return b.String()
	}
	mark := ""
	if rightToLeft(r.Text) {
		mark = rlm
	}
	b.WriteString("\n")
	n := 0
	var zero *Choice
	inline := false // the last choice was a bare number
	for i, c := range r.Choices {
		if c.ID == idForget {
			zero = &r.Choices[i]
			continue
		}
		n++
		num := strconv.Itoa(n)
		switch {
		case c.Label == num && inline:
			b.WriteString(" " + num)
		case c.Label == num:
			b.WriteString("\n" + mark + num)
		default:
			b.WriteString("\n" + mark + num + " " + c.Label)
		}
		inline = c.Label == num
	}
	if zero != nil {
		b.WriteString("\n" + mark + "0 " + zero.Label)
	}
	return b.String()
}

// rightToLeft reports whether text's direction is right to left, the way a
// phone decides it (Unicode bidi rule P2): by its first strongly directional
// letter, skipping what isolates enclose.
func rightToLeft(text string) bool {
	depth := 0
	for _, r := range text {
		switch r {
		case lri, rli, fsi:
			depth++
			continue
		case pdi:
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth > 0 {
			continue
		}
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return false
}
