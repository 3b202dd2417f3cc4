package locales

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
)

// Bidirectional isolates (see active.ar.toml).
const (
	lri = "\u2066" // left-to-right isolate
	pdi = "\u2069" // pop directional isolate
)

// ltrValues are the variables that carry Latin letters or digits into a
// sentence: codes, times, office names, addresses, the program's name.
var ltrValues = regexp.MustCompile(`\{\{\s*\.(Code|Time|Times|Office|Address|Program)\s*\}\}`)

// rightToLeft reports whether lang is written in a right-to-left script.
func rightToLeft(c *Catalog, lang string) bool {
	s, _ := c.Text(lang, "language.script", nil)
	switch s {
	case "Arabic", "Hebrew", "Syriac", "Thaana", "Nko", "Adlam":
		return true
	}
	return false
}

// TestIsolates: in a right-to-left language every code, time, office
// name, address and program name is wrapped in LRI ... PDI, so a phone
// shows "⁦121 N LaSalle St⁩" and "⁦3E3WGN⁩" in order inside Arabic; other
// languages carry no direction controls at all (they would cost UCS-2).
func TestIsolates(t *testing.T) {
	c := mustLoad(t)
	found := false
	for _, lang := range c.Languages() {
		rtl := rightToLeft(c, lang)
		found = found || rtl
		for id, m := range c.messages[lang] {
			for _, src := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if !rtl {
					if strings.ContainsFunc(src, func(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }) {
						t.Errorf("%s %s: direction control in a left-to-right language: %q", lang, id, src)
					}
					continue
				}
				for _, loc := range ltrValues.FindAllStringIndex(src, -1) {
					if !strings.HasSuffix(src[:loc[0]], lri) || !strings.HasPrefix(src[loc[1]:], pdi) {
						t.Errorf("%s %s: %s is not wrapped in LRI ... PDI: %q", lang, id, src[loc[0]:loc[1]], src)
					}
				}
			}
		}
	}
	if !found {
		t.Fatal("no right-to-left language to test")
	}

	// As rendered: the code and the time come out isolated.
	when := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	data := map[string]any{"Code": "3E3WGN", "Office": "City Hall", "Address": "121 N LaSalle St", "Date": c.Date("ar", when), "Time": c.Time("ar", when)}
	for id, want := range map[string][]string{
		"book.done":        {lri + "3E3WGN" + pdi},
		"appointment.show": {lri + "10:00" + pdi, lri + "City Hall" + pdi, lri + "121 N LaSalle St" + pdi},
		"book.confirm":     {lri + "10:00" + pdi, lri + "City Hall" + pdi},
	} {
		got, err := c.Text("ar", id, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("ar %s = %q, lacks %q", id, got, w)
			}
		}
		if en, _ := c.Text("en", id, data); strings.ContainsAny(en, lri+pdi) {
			t.Errorf("en %s = %q has isolates", id, en)
		}
	}
}
