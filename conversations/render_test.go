package conversations

import (
	"strings"
	"testing"
)

func TestRenderRightToLeft(t *testing.T) {
	choices := []Choice{{ID: "a", Label: "City Hall"}, {ID: "b", Label: "10:15"}, {ID: idForget, Label: "احذف بياناتي"}}
	tests := []struct {
		name, text string
		rtl        bool
	}{
		{"arabic", "أي مكتب؟", true},
		{"arabic after an isolated office name", "\u2066City Hall\u2069: أي يوم؟", true},
		{"arabic after digits", "30 نوفمبر", true},
		{"english", "Which office?", false},
		{"chinese", "哪个办公室？", false},
		{"ukrainian", "Який офіс?", false},
		{"latin first", "City Hall: أي يوم؟", false}, // why the locale file isolates names
		{"no letters", "10:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(Reply{Text: tt.text, Choices: choices})
			lines := strings.Split(got, "\n")[2:]
			for _, l := range lines {
				if marked := strings.HasPrefix(l, rlm); marked != tt.rtl {
					t.Errorf("line %q: right-to-left mark %v, want %v", l, marked, tt.rtl)
				}
			}
			want := []string{"1 City Hall", "2 10:15", "0 احذف بياناتي"}
			for i, l := range lines {
				if s := strings.TrimPrefix(l, rlm); s != want[i] {
					t.Errorf("line %d = %q, want %q", i, s, want[i])
				}
			}
			if !tt.rtl && strings.ContainsAny(got, "\u200e\u200f\u2066\u2067\u2068\u2069") {
				t.Errorf("left-to-right reply has direction marks: %q", got)
			}
		})
	}
}

// TestRenderBareNumbers: choices labeled with just their own number (the
// party size) share one line; any other label starts a line of its own.
func TestRenderBareNumbers(t *testing.T) {
	tests := []struct {
		name    string
		choices []Choice
		want    string
	}{
		{"party sizes", []Choice{{"party:1", "1"}, {"party:2", "2"}, {"party:3", "3"}}, "Q\n\n1 2 3"},
		{"then a labeled choice", []Choice{{"party:1", "1"}, {"party:2", "2"}, {idMenu, "Menu"}}, "Q\n\n1 2\n3 Menu"},
		{"a label that is another number", []Choice{{"a", "2"}, {"b", "1"}}, "Q\n\n1 2\n2 1"},
		{"right to left", []Choice{{"party:1", "1"}, {"party:2", "2"}}, "كم؟\n\n" + rlm + "1 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "Q"
			if tt.name == "right to left" {
				text = "كم؟"
			}
			if got := Render(Reply{Text: text, Choices: tt.choices}); got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}
