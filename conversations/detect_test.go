package conversations_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cita-city/cita/conversations"
)

// TestDetectLanguage is the first message of a session in each of the demo
// program's fourteen languages: Telegram's language_code, the script of the
// text, a greeting, a language's own name, and what is left to the default.
func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name, text, hint, want string
	}{
		// Telegram's language_code.
		{"hint en", "start", "en", "en"},
		{"hint es", "start", "es-MX", "es"},
		{"hint pl", "start", "pl", "pl"},
		{"hint zh", "start", "zh-hans", "zh"},
		{"hint zh region", "start", "zh-CN", "zh"},
		{"hint ar", "start", "ar", "ar"},
		{"hint fr", "start", "fr-CA", "fr"},
		{"hint tl as fil", "start", "fil", "tl"},
		{"hint tl", "start", "tl", "tl"},
		{"hint uk", "start", "uk", "uk"},
		{"hint ko", "start", "ko", "ko"},
		{"hint ko region", "start", "ko-KR", "ko"},
		{"hint ru", "start", "ru", "ru"},
		{"hint ur", "start", "ur", "ur"},
		{"hint hi", "start", "hi", "hi"},
		{"hint gu", "start", "gu", "gu"},
		{"hint vi", "start", "vi", "vi"},
		{"hint we lack", "start", "de", "en"},
		// Script of the text.
		{"han", "你好", "", "zh"},
		{"han sentence", "我想预约", "", "zh"},
		{"arabic", "السلام عليكم", "", "ar"},
		{"arabic word", "موعد", "", "ar"},
		{"cyrillic", "привіт", "", "uk"},
		{"cyrillic good day", "Добрий день!", "", "uk"},
		{"hint beats script", "你好", "en", "en"}, // the app's language, as Telegram says it
		{"hangul", "안녕하세요", "", "ko"},
		{"hangul with english", "hello 예약하고 싶어요", "", "ko"},
		{"devanagari", "नमस्ते", "", "hi"},
		{"gujarati", "કેમ છો", "", "gu"},
		// Scripts two languages share: Ukrainian and Russian, Urdu and Arabic.
		{"russian hello", "привет", "", "ru"},
		{"russian good day", "Добрый день", "", "ru"},
		{"ukrainian good day", "Добрий день", "", "uk"},
		{"russian sentence", "мне нужна запись", "", "ru"},
		{"ukrainian sentence", "мені потрібен запис", "", "uk"},
		{"urdu greeting", "السلام علیکم", "", "ur"},
		{"arabic greeting", "السلام عليكم", "", "ar"},
		{"urdu sentence", "مجھے وقت چاہیے", "", "ur"},
		{"arabic sentence", "اريد موعد", "", "ar"},
		// Transliterations and Latin-script languages without accents.
		{"privet", "privet", "", "ru"},
		{"namaste", "namaste", "", "hi"},
		{"namaste hinglish", "Namaste ji, mujhe appointment chahiye", "", "hi"},
		{"assalam o alaikum", "assalam o alaikum", "", "ur"},
		{"hindustani without a greeting is ambiguous", "mujhe appointment chahiye", "", "en"},
		{"kem cho", "kem cho", "", "gu"},
		{"annyeong", "annyeonghaseyo", "", "ko"},
		{"xin chao", "xin chao", "", "vi"},
		{"vietnamese without accents", "toi muon dat lich hen", "", "vi"},
		{"quiero una cita", "quiero una cita", "", "es"},
		{"english greeting, spanish text", "hi necesito una cita", "", "es"},
		{"english", "I need an ID", "", "en"},
		{"rdv", "rdv svp", "", "fr"},
		{"taglish", "hi po, gusto ko mag pa appointment", "", "tl"},
		// Greetings in Latin-script languages.
		{"hola", "Hola", "", "es"},
		{"dzien dobry", "Dzień dobry", "", "pl"},
		{"dzien dobry without accents", "dzien dobry, chce sie umowic", "", "pl"},
		{"bonjour", "Bonjour !", "", "fr"},
		{"salamat", "salamat", "", "tl"},
		{"kumusta", "Kumusta po", "", "tl"},
		{"magandang umaga", "magandang umaga po", "", "tl"},
		{"hello po is tagalog", "hello po", "", "tl"},
		{"hello is english", "hello", "", "en"},
		// Languages named in their own name.
		{"name zh", "中文", "", "zh"},
		{"name ar", "العربية", "", "ar"},
		{"name tl", "Tagalog", "", "tl"},
		{"name pl", "polski", "", "pl"},
		{"name uk", "українська", "", "uk"},
		{"name fr", "francais", "", "fr"},
		{"name ko", "한국어", "", "ko"},
		{"name ru", "русский", "", "ru"},
		{"name ur", "اردو", "", "ur"},
		{"name hi", "हिन्दी", "", "hi"},
		{"name gu", "ગુજરાતી", "", "gu"},
		{"name vi", "tieng viet", "", "vi"},
		// Nothing to go on: the default, with the menu.
		{"digits", "4", "", "en"},
		{"nonsense", "asdf", "", "en"},
		{"nonsense words", "asdf qwerty zxcv", "", "en"},
		{"emoji", "👋🙂", "", "en"},
	}
	f := newFixture(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.engine.Handle(conversations.Inbound{Identity: resident(300 + i), Text: tt.text, LangHint: tt.hint}, f.now)
			if r.Lang != tt.want {
				t.Errorf("Handle(%q, hint %q): Lang = %q, want %q (reply %q)", tt.text, tt.hint, r.Lang, tt.want, r.Text)
			}
			if len(r.Choices) == 0 {
				t.Errorf("no choices offered: %q", r.Text)
			}
		})
	}
}

// TestSwitchLanguage switches from every language to every other at any
// step, with 6 from the main menu or the language word typed anywhere, and
// the menu offers each language in its own name.
func TestSwitchLanguage(t *testing.T) {
	for _, from := range allLangs {
		f := newFixture(t)
		word, err := f.catalog.Text(from, "words.language", nil)
		if err != nil {
			t.Fatal(err)
		}
		word = strings.Split(word, "|")[0]
		for i, to := range allLangs {
			in := conversations.Inbound{Identity: resident(i), LangHint: hints[from]}
			say := func(text string) conversations.Reply {
				in.Text = text
				return f.engine.Handle(in, f.now)
			}
			say("menu")
			say("4") // in the middle of booking: the language word still works
			r := say(word)
			name, _ := f.catalog.Text(to, "language.name", nil)
			n := 0
			for j, c := range r.Choices {
				if c.Label == name {
					n = j + 1
				}
			}
			if n == 0 {
				t.Fatalf("%s: %q offers no %q:\n%s", from, word, name, conversations.Render(r))
			}
			if r = say(strconv.Itoa(n)); r.Lang != to {
				t.Errorf("%s -> %s: Lang = %q", from, to, r.Lang)
			}
			say("menu")
			if r = say("6"); len(r.Choices) != len(allLangs)+1 {
				t.Errorf("%s -> %s: 6 offers %d choices:\n%s", from, to, len(r.Choices), conversations.Render(r))
			}
		}
	}
}

// TestMenuWordsEverywhere: "menu" and "start" (Telegram's /start) bring
// the main menu back in every language, and so do the language's own words.
func TestMenuWordsEverywhere(t *testing.T) {
	for _, lang := range allLangs {
		f := newFixture(t)
		own, err := f.catalog.Text(lang, "words.menu", nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range append([]string{"menu", "MENU", "start", "Start"}, strings.Split(own, "|")...) {
			in := conversations.Inbound{Identity: resident(i), LangHint: hints[lang]}
			in.Text = "hi"
			f.engine.Handle(in, f.now)
			in.Text = "3" // offices: a state where "menu" is not a numbered choice
			f.engine.Handle(in, f.now)
			in.Text = w
			r := f.engine.Handle(in, f.now)
			prompt, _ := f.catalog.Text(lang, "menu.prompt", nil)
			if r.Lang != lang || r.Text != prompt {
				t.Errorf("%s: %q gives %s %q, want the main menu", lang, w, r.Lang, r.Text)
			}
		}
	}
}

// TestYesNoWords answers the first eligibility question with each yes and
// no word of every language.
func TestYesNoWords(t *testing.T) {
	for _, lang := range allLangs {
		f := newFixture(t)
		for _, k := range []struct{ id, reply string }{{"words.yes", "eligibility.age"}, {"words.no", "eligibility.resident.no"}} {
			list, err := f.catalog.Text(lang, k.id, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := f.catalog.Text(lang, k.reply, nil)
			for i, w := range strings.Split(list, "|") {
				in := conversations.Inbound{Identity: resident(100 + i), LangHint: hints[lang], Text: "1"}
				f.engine.Handle(in, f.now)
				in.Text = w
				if r := f.engine.Handle(in, f.now); !strings.HasPrefix(r.Text, want) {
					t.Errorf("%s: %q to %q gives %q", lang, w, "eligibility.resident", r.Text)
				}
				f.engine.Handle(conversations.Inbound{Identity: in.Identity, Text: "menu"}, f.now)
			}
		}
	}
}

// TestDetectFewLanguages: a program with one Latin-script language still
// recognizes the transliterated greetings of its others, and a text in a
// script it does not offer gets the default.
func TestDetectFewLanguages(t *testing.T) {
	tests := []struct {
		name  string
		langs []string
		text  string
		want  string
	}{
		{"privet", []string{"en", "ru"}, "privet", "ru"},
		{"cyrillic", []string{"en", "ru"}, "добрый день", "ru"},
		{"ukrainian goes to the only cyrillic language", []string{"en", "ru"}, "добрий день", "ru"},
		{"hello", []string{"en", "ru"}, "hello", "en"},
		{"default not latin", []string{"zh", "en"}, "hello", "en"},
		{"nothing known", []string{"zh", "en"}, "asdf", "zh"},
		{"hangul not offered", []string{"en", "es"}, "안녕하세요", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.program.Languages = tt.langs
			e := conversations.New(f.svc, f.catalog)
			r := e.Handle(conversations.Inbound{Identity: resident(1), Text: tt.text}, f.now)
			if r.Lang != tt.want {
				t.Errorf("languages %v, %q: Lang = %q, want %q", tt.langs, tt.text, r.Lang, tt.want)
			}
		})
	}
}
