package conversations

import "testing"

var numberTests = []struct {
	name string
	in   string
	want int
	ok   bool
}{
	{"plain", "2", 2, true},
	{"zero", "0", 0, true},
	{"trailing dot", "1.", 1, true},
	{"paren and space", " 2)", 2, true},
	{"hash", "#3", 3, true},
	{"full-width", "１", 1, true},            // Japanese and Chinese keyboards
	{"arabic-indic", "٣", 3, true},          // Arabic keyboards
	{"extended arabic-indic", "۴", 4, true}, // Persian and Urdu keyboards
	{"devanagari", "५", 5, true},
	{"arabic-indic zero", "٠", 0, true},
	{"arabic-indic nine", "٩", 9, true},
	{"arabic-indic two digits", "١٢", 12, true},
	{"arabic-indic with arabic comma", "٤،", 4, true},
	{"arabic-indic with rtl mark", "\u200f٢", 2, true}, // copied from an Arabic reply
	{"eastern arabic-indic zero", "۰", 0, true},
	{"eastern arabic-indic nine", "۹", 9, true},
	{"eastern arabic-indic two digits", "۱۰", 10, true},
	{"full-width zero", "０", 0, true},
	{"full-width nine", "９", 9, true},
	{"full-width two digits", "１２", 12, true},
	{"full-width hash and stop", "＃３。", 3, true},
	{"arabic-indic two numbers", "١ ٢", 0, false},
	{"arabic-indic time", "١٠:٣٠", 0, false},
	{"two digits", "12", 12, true},
	{"newline", "3\n", 3, true},
	{"two numbers", "1 2", 0, false}, // which one? ask again
	{"time", "9:00", 0, false},       // a time label, not a number
	{"word", "one", 0, false},
	{"digits and letters", "2a", 0, false},
	{"empty", "", 0, false},
	{"only punctuation", "...", 0, false},
	{"huge", "99999999999999999999", 0, false},
}

func TestNumber(t *testing.T) {
	for _, tt := range numberTests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := number(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("number(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNear(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"menu", "menu", true},
		{"mneu", "menu", true},  // swapped letters
		{"menuu", "menu", true}, // extra letter
		{"mnu", "menu", false},  // typed word too short to guess
		{"brnig", "bring", true},
		{"idoima", "idioma", true},
		{"offises", "offices", true},
		{"yes", "yea", false}, // short words must be exact
		{"office", "officer", true},
		{"offices", "oficinas", false},
	}
	for _, tt := range tests {
		if got := near(tt.a, tt.b); got != tt.want {
			t.Errorf("near(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMatchLabel(t *testing.T) {
	choices := []Choice{
		{ID: "a", Label: "Who can get the ID"},
		{ID: "b", Label: "What to bring"},
		{ID: "c", Label: "Book an appointment"},
		{ID: "d", Label: "My appointment"},
		{ID: "e", Label: "Qué traer"},
	}
	tests := []struct {
		name, in, want string
	}{
		{"whole label", "what to bring", "b"},
		{"one word", "bring", "b"},
		{"typo", "brnig", "b"},
		{"case", "BOOK", "c"},
		{"accents folded", "que traer", "e"},
		{"accents kept", "QUÉ TRAER", "e"},
		{"ambiguous", "appointment", ""}, // book or mine?
		{"only short words", "an", ""},   // too little to go on
		{"unknown", "pizza", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := matchLabel(choices, fold(tt.in))
			if got != tt.want {
				t.Errorf("matchLabel(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPick(t *testing.T) {
	cs := []Choice{{ID: "x", Label: "X"}, {ID: idForget, Label: "Delete"}, {ID: "y", Label: "Y"}}
	for n, want := range map[int]string{0: idForget, 1: "x", 2: "y", 3: ""} {
		if got, _ := pick(cs, n); got != want {
			t.Errorf("pick(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		r    Reply
		want string
	}{
		{"text only", Reply{Text: "Done."}, "Done."},
		{"numbered", Reply{Text: "Which?", Choices: []Choice{{ID: "a", Label: "City Hall"}, {ID: "b", Label: "Menu"}}},
			"Which?\n\n1 City Hall\n2 Menu"},
		{"zero last", Reply{Text: "Hi", Choices: []Choice{{ID: "0", Label: "Delete my data"}, {ID: "a", Label: "Book"}}},
			"Hi\n\n1 Book\n0 Delete my data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.r); got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSegments(t *testing.T) {
	long := func(c string, n int) string {
		s := ""
		for range n {
			s += c
		}
		return s
	}
	tests := []struct {
		name string
		text string
		want int
	}{
		{"short gsm", "Hello", 1},
		{"160 gsm", long("a", 160), 1},
		{"161 gsm", long("a", 161), 2},
		{"extension counts twice", long("€", 81), 2},
		{"70 ucs2", long("á", 70), 1},
		{"71 ucs2", long("á", 71), 2},
		{"gsm accents stay gsm", "é ñ ü à ¿¡", 1},
		{"202 ucs2", long("í", 202), 4},
	}
	for _, tt := range tests {
		if got := Segments(tt.text); got != tt.want {
			t.Errorf("%s: Segments = %d, want %d", tt.name, got, tt.want)
		}
	}
}
