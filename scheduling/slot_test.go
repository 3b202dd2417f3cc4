package scheduling

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dstProgram opens on Sundays around 02:00, where America/Chicago's clocks
// jump (2027-03-14, 02:00 CST -> 03:00 CDT) and repeat (2027-11-07, 02:00
// CDT -> 01:00 CST), and again in the day.
const dstProgram = `name = "DST"
time_zone = "America/Chicago"
phone_region = "US"
languages = ["en"]
horizon_days = 30
lead_time = "0s"
changes_per_day = 1
reminder_lead = "24h"

[[office]]
id = "night"
name = { en = "Night" }
address = "1 Main St"
slot_minutes = 30
desks = 1
hours = { sun = ["00:30-03:30", "09:00-17:00"], sat = ["09:00-17:00"], mon = ["09:00-17:00"] }

[[closure]]
date = 2027-03-20
offices = ["night"]
`

func mustLoad(t *testing.T, text string) *Program {
	t.Helper()
	p, err := Load("test.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clock formats local wall-clock times with their zone abbreviation.
func clock(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format("15:04 MST")
	}
	return out
}

func TestSlotsDST(t *testing.T) {
	p := mustLoad(t, dstProgram)
	night, _ := p.Office("night")
	day := []string{
		"09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30",
		"13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30",
	}
	with := func(zone string, hm ...string) []string {
		out := make([]string, len(hm))
		for i, s := range hm {
			out[i] = s + " " + zone
		}
		return out
	}
	tests := []struct {
		name  string
		date  Date
		night []string        // slots of the 00:30-03:30 range
		zone  string          // of the day slots
		gaps  []time.Duration // real time between consecutive night slots
	}{
		{
			// 02:00 and 02:30 do not exist: no slot, and no 01:30 or 03:00
			// twice either. 01:30 CST to 03:00 CDT is 30 real minutes.
			name:  "spring forward",
			date:  Date{2027, time.March, 14},
			night: []string{"00:30 CST", "01:00 CST", "01:30 CST", "03:00 CDT"},
			zone:  "CDT",
			gaps:  []time.Duration{30 * time.Minute, 30 * time.Minute, 30 * time.Minute},
		},
		{
			// 01:00 and 01:30 happen twice: one slot each, at the first
			// (CDT) instant; 01:30 CDT to 02:00 CST is 90 real minutes.
			name:  "fall back",
			date:  Date{2027, time.November, 7},
			night: []string{"00:30 CDT", "01:00 CDT", "01:30 CDT", "02:00 CST", "02:30 CST", "03:00 CST"},
			zone:  "CST",
			gaps:  []time.Duration{30 * time.Minute, 30 * time.Minute, 90 * time.Minute, 30 * time.Minute, 30 * time.Minute},
		},
		{
			name:  "ordinary Sunday",
			date:  Date{2027, time.March, 7},
			night: []string{"00:30 CST", "01:00 CST", "01:30 CST", "02:00 CST", "02:30 CST", "03:00 CST"},
			zone:  "CST",
			gaps:  []time.Duration{30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slots := p.Slots(night, tt.date)
			want := append(append([]string{}, tt.night...), with(tt.zone, day...)...)
			if diff := cmp.Diff(want, clock(slots)); diff != "" {
				t.Fatalf("slots (-want +got):\n%s", diff)
			}
			for i, s := range slots {
				if s.Location() != p.Location {
					t.Errorf("slot %d in %v", i, s.Location())
				}
				if i > 0 && !slots[i-1].Before(s) {
					t.Errorf("slot %d (%v) not after slot %d (%v)", i, s, i-1, slots[i-1])
				}
			}
			n := len(tt.night)
			var gaps []time.Duration
			for i := 1; i < n; i++ {
				gaps = append(gaps, slots[i].Sub(slots[i-1]))
			}
			if diff := cmp.Diff(tt.gaps, gaps); diff != "" {
				t.Errorf("night gaps (-want +got):\n%s", diff)
			}
			for i := n + 1; i < len(slots); i++ {
				if got := slots[i].Sub(slots[i-1]); got != 30*time.Minute {
					t.Errorf("day slots %d and %d %v apart", i-1, i, got)
				}
			}
		})
	}
}

func TestSlotsAcrossDST(t *testing.T) {
	p := mustLoad(t, dstProgram)
	night, _ := p.Office("night")
	first := func(d Date) time.Time { return p.Slots(night, d)[0] }
	nine := func(d Date) time.Time { return p.Slots(night, d)[len(p.Slots(night, d))-16] }
	tests := []struct {
		name     string
		from, to Date
		want     time.Duration // 09:00 to 09:00
	}{
		{"Saturday to spring-forward Sunday", Date{2027, 3, 13}, Date{2027, 3, 14}, 23 * time.Hour},
		{"spring-forward Sunday to Monday", Date{2027, 3, 14}, Date{2027, 3, 15}, 24 * time.Hour},
		{"Saturday to fall-back Sunday", Date{2027, 11, 6}, Date{2027, 11, 7}, 25 * time.Hour},
		{"fall-back Sunday to Monday", Date{2027, 11, 7}, Date{2027, 11, 8}, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := nine(tt.from), nine(tt.to)
			if from.Format("15:04") != "09:00" || to.Format("15:04") != "09:00" {
				t.Fatalf("day slots start at %v and %v", from, to)
			}
			if got := to.Sub(from); got != tt.want {
				t.Errorf("09:00 to 09:00 is %v, want %v", got, tt.want)
			}
		})
	}
	if got := first(Date{2027, 3, 15}); !got.Equal(time.Date(2027, 3, 15, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("Monday 09:00 CDT = %v UTC, want 14:00", got.UTC())
	}
}

func TestSlotsAndClosures(t *testing.T) {
	p := mustLoad(t, testProgram)
	a, _ := p.Office("a")
	b, _ := p.Office("b")
	tests := []struct {
		name   string
		office Office
		date   Date
		closed bool
		n      int    // slots
		first  string // local time of the first
		last   string // and of the last
	}{
		{"Monday with a lunch break", a, Date{2026, 12, 7}, false, 12 + 16, "09:00", "16:45"},
		{"Saturday morning", a, Date{2026, 12, 5}, false, 16, "09:00", "12:45"},
		{"no hours on Sunday", a, Date{2026, 12, 6}, false, 0, "", ""},
		{"no hours on Monday", b, Date{2026, 12, 7}, false, 0, "", ""},
		{"Tuesday", b, Date{2026, 12, 8}, false, 8, "10:00", "13:30"},
		{"closure for all offices", b, Date{2026, 12, 25}, true, 0, "", ""},
		{"closure for b only, b", b, Date{2026, 12, 26}, true, 0, "", ""},
		{"closure for b only, a", a, Date{2026, 12, 26}, false, 16, "09:00", "12:45"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Closed(tt.office.ID, tt.date); got != tt.closed {
				t.Errorf("Closed = %v, want %v", got, tt.closed)
			}
			slots := clock(p.Slots(tt.office, tt.date))
			if len(slots) != tt.n {
				t.Fatalf("%d slots, want %d: %v", len(slots), tt.n, slots)
			}
			if tt.n > 0 && (slots[0][:5] != tt.first || slots[tt.n-1][:5] != tt.last) {
				t.Errorf("slots from %s to %s, want %s to %s", slots[0], slots[tt.n-1], tt.first, tt.last)
			}
		})
	}
	if c, ok := p.Closure("a", Date{2026, 12, 25}); !ok || c.Reason != "holiday.christmas" {
		t.Errorf("Closure = %v, %v", c, ok)
	}
	if _, ok := p.Office("c"); ok {
		t.Error(`Office("c") found`)
	}
}

func TestDemoSlotsDST(t *testing.T) {
	// Monday after each change at City Hall: 32 slots, 09:00 to 16:45.
	p := Demo()
	hall, _ := p.Office("city-hall")
	for _, d := range []Date{{2027, 3, 15}, {2027, 11, 8}} {
		s := clock(p.Slots(hall, d))
		if len(s) != 32 || s[0][:5] != "09:00" || s[31][:5] != "16:45" {
			t.Errorf("%s: %d slots %v", d, len(s), s)
		}
	}
}

func TestWallTime(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	tests := []struct {
		name    string
		loc     string
		date    Date
		minutes int
		want    string // UTC instant, or "" for a wall time that does not exist
	}{
		{"Chicago ordinary", "America/Chicago", Date{2027, 3, 13}, 150, "08:30Z"},
		{"Chicago in the spring gap", "America/Chicago", Date{2027, 3, 14}, 150, ""},
		{"Chicago repeated: the first, CDT", "America/Chicago", Date{2027, 11, 7}, 90, "06:30Z"},
		// East of UTC time.Date picks the second instant: wallTime must not.
		{"Berlin in the spring gap", "Europe/Berlin", Date{2027, 3, 28}, 150, ""},
		{"Berlin repeated: the first, CEST", "Europe/Berlin", Date{2027, 10, 31}, 150, "00:30Z"},
		{"Berlin after the repeated hour", "Europe/Berlin", Date{2027, 10, 31}, 180, "02:00Z"},
		// Lord Howe Island sets its clocks back by 30 minutes.
		{"Lord Howe repeated half hour", "Australia/Lord_Howe", Date{2027, 4, 4}, 105, "14:45Z"},
		{"Lord Howe after it", "Australia/Lord_Howe", Date{2027, 4, 4}, 120, "15:30Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wallTime(zone(tt.loc), tt.date, tt.minutes)
			s := ""
			if ok {
				s = got.UTC().Format("15:04Z")
				if h, m, _ := got.Clock(); h*60+m != tt.minutes || DateOf(got) != tt.date {
					t.Errorf("wall clock %v", got)
				}
			}
			if s != tt.want {
				t.Errorf("wallTime = %q (%v), want %q", s, got, tt.want)
			}
		})
	}
}

// TestSlotsMatchWallTime checks Slots' one-zone-lookup-per-day path against
// wallTime for every slot of every day of four years, open all day, in
// zones with one-hour, half-hour, midnight and no clock changes.
func TestSlotsMatchWallTime(t *testing.T) {
	zones := []string{
		"America/Chicago", "Europe/London", "America/Santiago", "America/Havana",
		"Australia/Lord_Howe", "Asia/Tehran", "Pacific/Apia", "Asia/Kolkata", "UTC",
	}
	all := []Span{{Start: 0, End: 24 * 60}}
	o := Office{ID: "all", SlotMinutes: 20, Hours: [7][]Span{all, all, all, all, all, all, all}}
	for _, zone := range zones {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Skipf("no zone data: %v", err)
			}
			p := &Program{Location: loc}
			slow := 0
			for d := (Date{2025, time.January, 1}); d.Year < 2029; d = d.AddDays(1) {
				var want []time.Time
				for m := 0; m+o.SlotMinutes <= 24*60; m += o.SlotMinutes {
					if w, ok := wallTime(loc, d, m); ok {
						want = append(want, w)
					}
				}
				got := p.Slots(o, d)
				if len(got) != len(want) {
					t.Fatalf("%s: %d slots, want %d", d, len(got), len(want))
				}
				for i := range got {
					if !got[i].Equal(want[i]) || got[i].String() != want[i].String() {
						t.Fatalf("%s slot %d: %v, want %v", d, i, got[i], want[i])
					}
				}
				if _, steady := steadyDay(loc, d); !steady {
					slow++
				}
			}
			if slow > 4*8 {
				t.Errorf("%d days off the fast path in four years", slow)
			}
		})
	}
}
