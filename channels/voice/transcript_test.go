package voice

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden voice transcripts in testdata/")

// TestTranscripts: a call in every language of the program, pressed
// through the language menu, what to bring, a booking of the earliest
// slot for one, and "my appointment", compared with
// testdata/call.LANG.txt (what is said, in which language, and what is
// pressed). Run with -update to rewrite them, and read the diff.
func TestTranscripts(t *testing.T) {
	for i, lang := range newFixture(t).ch.langs {
		t.Run(lang, func(t *testing.T) {
			f := newFixture(t)
			c := f.dial("CA"+lang, caller)
			c.press(strconv.Itoa(i+1), "2", "0", "4", "1", "1", "0", "5", "*")
			got := c.out.String()
			for _, s := range c.last.Says {
				if s.Lang != lang {
					t.Errorf("said in %s, want %s: %q", s.Lang, lang, s.Text)
				}
			}
			path := filepath.Join("testdata", "call."+lang+".txt")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("transcript differs from %s (run with -update and read the diff):\n%s", path, got)
			}
			if strings.Contains(got, "\u2066") || strings.Contains(got, "\u2069") {
				t.Errorf("direction marks are read aloud:\n%s", got)
			}
		})
	}
}
