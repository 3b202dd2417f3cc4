package scheduling

import (
	"strings"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary program files to Load: it must return a program
// or an error naming where, never panic, and a program it accepts must make
// slots without panicking either.
func FuzzLoad(f *testing.F) {
	f.Add(string(DemoProgram))
	f.Add("name = \"X\"\ntime_zone = \"Mars/Olympus\"\n")
	f.Add(strings.Replace(string(DemoProgram), "desks = 4", "desks = 0", 1))
	f.Add(strings.Replace(string(DemoProgram), `"09:00-17:00"`, `"17:00-09:00"`, 1))
	f.Add("[[office]]\nhours = { mon = [\"24:00-25:00\"] }\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Load("fuzz.toml", []byte(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("no program and no error")
		}
		now := time.Date(2026, 11, 30, 8, 0, 0, 0, p.Location)
		svc := NewService(p, newMemStore())
		for _, o := range p.Offices {
			if _, err := svc.Days(o.ID, 1, now); err != nil {
				t.Fatalf("days of %s: %v", o.ID, err)
			}
		}
	})
}
