package locales

import (
	"testing"
	"time"
)

// TestClockCache: a date or time from the cache is the one go-i18n fills,
// in every language, for every day of a year at several times and in two
// zones (the same wall time in another zone is the same text), asked
// twice; and the cache never holds more than maxClocks.
func TestClockCache(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	warsaw, _ := time.LoadLocation("Europe/Warsaw")
	formats := []struct {
		id  string
		get func(lang string, t time.Time) string
	}{
		{"format.date", c.Date}, {"format.date.short", c.ShortDate}, {"format.time", c.Time},
	}
	for _, lang := range c.Languages() {
		for d := range 366 {
			for _, hm := range [][2]int{{0, 0}, {9, 15}, {12, 0}, {17, 45}} {
				for _, loc := range []*time.Location{chicago, warsaw} {
					at := time.Date(2027, 1, 1+d, hm[0], hm[1], 0, 0, loc)
					for _, f := range formats {
						want, err := c.Text(lang, f.id, c.clockData(lang, at))
						if err != nil {
							t.Fatal(err)
						}
						for range 2 {
							if got := f.get(lang, at); got != want {
								t.Fatalf("%s %s %v: %q, want %q", lang, f.id, at, got, want)
							}
						}
					}
				}
			}
		}
	}
	c.clocks.mu.RLock()
	n := len(c.clocks.m)
	c.clocks.mu.RUnlock()
	if n == 0 || n > maxClocks {
		t.Errorf("cache holds %d formats, want 1 to %d", n, maxClocks)
	}
}
