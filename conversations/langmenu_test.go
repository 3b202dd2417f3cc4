package conversations_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cita-city/cita/conversations"
)

// TestLanguageMenuFits: the language menu (6) lists every language the
// program offers in its own name and script, and in every language it
// fits conversations.MaxSegments as one SMS reply. With -v it prints the
// size per language.
func TestLanguageMenuFits(t *testing.T) {
	f := newFixture(t)
	var names []string
	for _, l := range f.program.Languages {
		name, err := f.catalog.Text(l, "language.name", nil)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	var table strings.Builder
	for i, lang := range allLangs {
		in := conversations.Inbound{Identity: resident(200 + i), LangHint: hints[lang], Text: "menu"}
		f.engine.Handle(in, f.now)
		in.Text = "6"
		r := f.engine.Handle(in, f.now)
		if len(r.Choices) != len(names)+1 {
			t.Fatalf("%s: 6 offers %d choices, want %d languages and the menu", lang, len(r.Choices), len(names))
		}
		for j, name := range names {
			if r.Choices[j].Label != name {
				t.Errorf("%s: choice %d is %q, want %q", lang, j+1, r.Choices[j].Label, name)
			}
		}
		s := conversations.Render(r)
		n, u := conversations.Segments(s), len(utf16.Encode([]rune(s)))
		fmt.Fprintf(&table, "%s: %d segments, %d UTF-16 units\n", lang, n, u)
		if n > conversations.MaxSegments {
			t.Errorf("%s: the language menu takes %d segments (max %d), %d UTF-16 units:\n%s", lang, n, conversations.MaxSegments, u, s)
		}
	}
	t.Log("\n" + table.String())
}
