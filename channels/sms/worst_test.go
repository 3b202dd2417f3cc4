package sms

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// TestWorstSegments finds, for every language, the message that takes the
// most SMS segments with the longest data the demo program gives (office
// names as residents see them, falling back to the default language's, the
// longest address, the longest date, a 30-day count), and prints them as
// the table of docs/LOCALES.md:
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
		data := longest(c, p, lang)
		worstID, worst, worstN, worstLen, count, ucs2 := "", "", 0, 0, 0, 0
		for _, id := range ids {
			if strings.HasPrefix(id, "format.") || strings.HasPrefix(id, "words.") || strings.HasPrefix(id, "language.script") {
				continue // fragments and keyword lists, never sent alone
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

// longest is realistic's data with the office name each language shows:
// a language without its own name for an office gets the default one.
func longest(c *locales.Catalog, p *scheduling.Program, lang string) map[string]any {
	when := time.Date(2026, 12, 30, 12, 45, 0, 0, p.Location) // Wednesday, December
	var office, address string
	for _, o := range p.Offices {
		if n := o.Name(lang); len([]rune(n)) > len([]rune(office)) {
			office = n
		}
		if len(o.Address) > len(address) {
			address = o.Address
		}
	}
	return map[string]any{
		"Program": p.Name, "Code": "WXYZ78", "Office": office, "Address": address,
		"Date": c.Date(lang, when), "Time": c.Time(lang, when), "Count": 30,
		"Name":     "Proof of identity",
		"Examples": "passport, consular ID, driver's license or state ID",
		"Days":     "Mon-Fri", "Times": "10:00 AM-1:00 PM, 2:00 PM-6:00 PM",
		"Reason": "Martin Luther King Jr. Day",
	}
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
