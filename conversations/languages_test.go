package conversations_test

import (
	"testing"

	"github.com/cita-city/cita/conversations"
)

// TestConverseInEveryLanguage is what `bot chat --lang CODE` does (the
// code is the channel's hint) and what a first message without one does,
// in each of the demo program's languages: the whole conversation, not just
// its first reply, stays in that language.
func TestConverseInEveryLanguage(t *testing.T) {
	firsts := map[string]string{
		"en": "Hello, I need an appointment",
		"es": "hola quiero una cita",
		"pl": "Dzień dobry, chcę się umówić",
		"zh": "你好，我想预约",
		"ar": "السلام عليكم، أريد موعدا",
		"fr": "Bonjour, je voudrais un rendez-vous",
		"tl": "hi po, gusto ko po mag pa appointment",
		"uk": "Добрий день, хочу записатися",
		"ko": "안녕하세요! 예약하고 싶어요",
		"ru": "Здравствуйте, хочу записаться",
		"ur": "السلام علیکم، مجھے وقت چاہیے",
		"hi": "नमस्ते, मुझे अपॉइंटमेंट चाहिए",
		"gu": "નમસ્તે, મારે એપોઇન્ટમેન્ટ જોઈએ છે",
		"vi": "xin chào, tôi muốn đặt lịch hẹn",
	}
	for _, lang := range allLangs {
		f := newFixture(t)
		for _, tc := range []struct {
			name string
			in   conversations.Inbound
		}{
			{"--lang " + lang, conversations.Inbound{Identity: resident(1), LangHint: lang, Text: "hi"}},
			{"first message", conversations.Inbound{Identity: resident(2), Text: firsts[lang]}},
		} {
			in := tc.in
			welcome, err := f.catalog.Text(lang, "welcome", map[string]any{"Program": f.program.Name})
			if err != nil {
				t.Fatal(err)
			}
			r := f.engine.Handle(in, f.now)
			if r.Lang != lang || r.Text != welcome {
				t.Errorf("%s, %s: first reply in %s: %q, want the welcome in %s", lang, tc.name, r.Lang, r.Text, lang)
				continue
			}
			in.LangHint = ""
			for _, say := range []string{"4", "1"} { // book, a party of one
				in.Text = say
				r = f.engine.Handle(in, f.now)
			}
			want, _ := f.catalog.Text(lang, "book.earliest.yes", nil)
			if r.Lang != lang || len(r.Choices) == 0 || r.Choices[0].Label != want {
				t.Errorf("%s, %s: the earliest time is offered in %s, choices %v, want %q first", lang, tc.name, r.Lang, r.Choices, want)
			}
		}
		for _, err := range f.errs {
			t.Errorf("%s: OnError: %v", lang, err)
		}
	}
}
