package locales

import (
	"fmt"
	"sync"
	"time"
)

// formatPrefix starts the ids of date and time formats; timeFormat is the
// one time format.
const (
	formatPrefix = "format."
	timeFormat   = "format.time"
)

// The variables date formats and the time format may use (clockData).
var (
	dateVariables = []string{"Day", "Month", "MonthShort", "Weekday", "WeekdayShort", "Year"}
	timeVariables = []string{"AMPM", "Hour", "Hour12", "Hour2", "Minute"}
)

// Date formats t's date in lang with the message format.date ("Tuesday,
// December 1"; "martes 1 de diciembre"), in t's own location.
func (c *Catalog) Date(lang string, t time.Time) string {
	return c.clock(lang, "format.date", t, false)
}

// ShortDate formats t's date compactly with format.date.short ("Tue Dec 1";
// "mar 1 dic"), for lists of days.
func (c *Catalog) ShortDate(lang string, t time.Time) string {
	return c.clock(lang, "format.date.short", t, false)
}

// Time formats t's time of day with format.time ("9:30 AM"; "9:30").
func (c *Catalog) Time(lang string, t time.Time) string {
	return c.clock(lang, timeFormat, t, true)
}

// clock fills a date format, or with timeOfDay the time format. The formats
// are checked by Check and the tests, so the ISO fallback only shows if a
// broken file was shipped.
//
// Filling one goes through go-i18n's template and five more lookups for
// the names of the day and month (~20 µs, a tenth of a booking's CPU), and
// replies name the same few days and times over and over; so the result is
// kept, under the fields of t the format may read (Check holds date formats
// to the date's fields and the time format to the time's).
func (c *Catalog) clock(lang, id string, t time.Time, timeOfDay bool) string {
	k := clockKey{lang: lang, id: id}
	if timeOfDay {
		k.hour, k.minute, _ = t.Clock()
	} else {
		k.year, k.month, k.day = t.Date()
	}
	if s, ok := c.clocks.load(k); ok {
		return s
	}
	s, err := c.Text(lang, id, c.clockData(lang, t))
	if err != nil {
		fallback := time.DateOnly
		if timeOfDay {
			fallback = "15:04"
		}
		return t.Format(fallback)
	}
	c.clocks.store(k, s)
	return s
}

type clockKey struct {
	lang, id          string
	year              int
	month             time.Month
	day, hour, minute int
}

// maxClocks bounds the cache: a few MB at most. When it is full it starts
// again empty, which keeps the days being asked about now.
const maxClocks = 20000

// clockCache is a bounded map of filled formats, safe for concurrent use.
type clockCache struct {
	mu sync.RWMutex
	m  map[clockKey]string
}

func (c *clockCache) load(k clockKey) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.m[k]
	return s, ok
}

func (c *clockCache) store(k clockKey, s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxClocks {
		c.m = make(map[clockKey]string)
	}
	c.m[k] = s
}

// clockData is what date and time formats may use.
func (c *Catalog) clockData(lang string, t time.Time) map[string]any {
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := "time.am"
	if t.Hour() >= 12 {
		ampm = "time.pm"
	}
	name := func(id string) string {
		s, err := c.Text(lang, id, nil)
		if err != nil {
			return "?"
		}
		return s
	}
	return map[string]any{
		"Weekday":      name(fmt.Sprintf("weekday.%d", t.Weekday())),
		"WeekdayShort": name(fmt.Sprintf("weekday.short.%d", t.Weekday())),
		"Month":        name(fmt.Sprintf("month.%d", t.Month())),
		"MonthShort":   name(fmt.Sprintf("month.short.%d", t.Month())),
		"Day":          t.Day(),
		"Year":         t.Year(),
		"Hour":         t.Hour(),
		"Hour2":        fmt.Sprintf("%02d", t.Hour()),
		"Hour12":       h12,
		"Minute":       fmt.Sprintf("%02d", t.Minute()),
		"AMPM":         name(ampm),
	}
}
