package conversations

import (
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// available returns the languages both the program offers and the
// messages have, in the program's order.
func (e *Engine) available() []string { return e.avail() }

func (e *Engine) availableNow() []string {
	have := e.msgs.Languages()
	var out []string
	for _, l := range e.bookings.Program().Languages {
		if slices.Contains(have, l) {
			out = append(out, l)
		}
	}
	if len(out) == 0 && len(have) > 0 {
		out = have[:1]
	}
	return out
}

// languages offers each language by its own name.
func (e *Engine) languages(s *session) Reply {
	var cs []Choice
	for _, l := range e.available() {
		cs = append(cs, Choice{ID: prefixLang + l, Label: e.textIn(l, "language.name", nil)})
	}
	s.state = stLanguage
	return e.offer(s, e.text(s, "language.prompt", nil), append(cs, e.menuChoice(s)))
}

// pickLanguage chooses a new session's language: one the resident named,
// else the channel's hint, else their stored appointment's, else one
// detected from the text, else the program's first.
func (e *Engine) pickLanguage(in Inbound) string {
	langs := e.available()
	words := fold(in.Text)
	for _, l := range langs {
		if in.Choice == prefixLang+l || (len(words) > 0 && sameWords(words, fold(e.textIn(l, "language.name", nil)))) {
			return l
		}
	}
	if l, ok := hinted(langs, in.LangHint); ok {
		return l
	}
	if a, err := e.bookings.Find(allIDs(in)); err == nil && slices.Contains(langs, a.Lang) {
		return a.Lang
	}
	if l, ok := e.detect(langs, in.Text); ok {
		return l
	}
	return langs[0]
}

// hinted picks the language a channel's hint names: its base language
// ("es-MX", "zh-hans" give es, zh), else one that is the same language under
// another code (Telegram's "fil" is the program's "tl").
func hinted(langs []string, hint string) (string, bool) {
	base := baseLanguage(hint)
	if base == "" {
		return "", false
	}
	if slices.Contains(langs, base) {
		return base, true
	}
	want, err := language.Parse(hint)
	if err != nil {
		return "", false
	}
	wb, _ := want.Base()
	for _, l := range langs {
		if t, err := language.Parse(l); err == nil {
			if b, _ := t.Base(); b == wb {
				return l, true
			}
		}
	}
	return "", false
}

// baseLanguage turns a hint like "es-MX" or "pt_BR" into "es", "pt".
func baseLanguage(hint string) string {
	hint = strings.ToLower(strings.TrimSpace(hint))
	if i := strings.IndexAny(hint, "-_"); i >= 0 {
		hint = hint[:i]
	}
	return hint
}
