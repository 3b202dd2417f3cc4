package sms

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// TestWorstSegments renders every message of every language with realistic
// data, fails any longer than maxSegments, and prints the message that
// takes the most segments per language, as the tables of README.md and
// docs/LOCALES.md show it:
//
//	go test ./channels/sms -run WorstSegments -v
func TestWorstSegments(t *testing.T) {
	c, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := scheduling.Demo()
	ids := messageIDs(t)
	var b strings.Builder
	b.WriteString("| locale | worst message | segments | encoding | length | messages in UCS-2 |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, lang := range c.Languages() {
		data := realistic(c, p, lang)
		worstID, worst, worstN, worstLen, count, ucs2 := "", "", 0, 0, 0, 0
		for _, id := range ids {
			if strings.HasPrefix(id, "format.") || strings.HasPrefix(id, "words.") || strings.HasPrefix(id, "language.script") {
				continue // fragments and keyword lists, never sent alone
			}
			if strings.HasPrefix(id, "voice.") {
				continue // spoken on a call, never texted
			}
			s, err := c.Count(lang, id, 30, data)
			if err != nil {
				s, err = c.Text(lang, id, data)
			}
			if err != nil {
				t.Errorf("%s %s: %v", lang, id, err)
				continue
			}
			count++
			n, enc := Segments(s)
			if enc == UCS2 {
				ucs2++
			}
			if l := length(s, enc); n > worstN || n == worstN && l > worstLen {
				worstID, worst, worstN, worstLen = id, enc, n, l
			}
			if n > maxSegments {
				t.Errorf("%s %s: %d %s segments:\n%s", lang, id, n, enc, s)
			}
		}
		fmt.Fprintf(&b, "| %s | `%s` | %d | %s | %d | %d of %d |\n", lang, worstID, worstN, worst, worstLen, ucs2, count)
	}
	t.Log("\n" + b.String())
}

// length is s's size in its encoding's units: septets or UTF-16 units.
func length(s, enc string) int {
	if enc == UCS2 {
		return len(utf16.Encode([]rune(s)))
	}
	n := 0
	for _, r := range s {
		n++
		if strings.ContainsRune("^{}\\[~]|€\f", r) { // GSM extension: escape + septet
			n++
		}
	}
	return n
}
