package conversations_test

import (
	"strings"
	"testing"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// TestBadPartySize answers the party-size question with what is not a
// number from 1 to max_party, in every language: the question comes again,
// in that language, and nothing is booked.
func TestBadPartySize(t *testing.T) {
	bad := []struct{ name, text string }{
		{"zero", "0"},
		{"too many", "99"},
		{"a word", "tres"},
		{"an emoji", "🙂"},
		{"six, one more than max_party", "6"},
		{"two numbers", "2 3"},
	}
	for _, lang := range allLangs {
		f := newFixture(t)
		in := conversations.Inbound{Identity: resident(1), LangHint: hints[lang], Text: "4"}
		f.engine.Handle(in, f.now)
		again, err := f.catalog.Text(lang, "book.party.again", map[string]any{"Max": 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			in.Text = b.text
			r := f.engine.Handle(in, f.now)
			if r.Lang != lang || !strings.HasPrefix(r.Text, again) || len(r.Effects) != 0 || len(r.Choices) != 5 {
				t.Errorf("%s, %s: reply in %s with %d effects, %d choices:\n%s", lang, b.name, r.Lang, len(r.Effects), len(r.Choices), conversations.Render(r))
			}
		}
		if _, err := f.svc.Find([]scheduling.Identity{resident(1)}); err == nil {
			t.Errorf("%s: something was booked", lang)
		}
		// The question still takes a good answer afterwards.
		in.Text = "2"
		if r := f.engine.Handle(in, f.now); len(r.Choices) != 4 {
			t.Errorf("%s: after the bad answers, 2 gave:\n%s", lang, conversations.Render(r))
		}
		for _, err := range f.errs {
			t.Errorf("%s: OnError: %v", lang, err)
		}
	}
}
