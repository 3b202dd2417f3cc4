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
