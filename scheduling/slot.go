package scheduling

import (
	"slices"
	"time"
)

// Office returns the office with id.
func (p *Program) Office(id string) (Office, bool) {
	i := slices.IndexFunc(p.Offices, func(o Office) bool { return o.ID == id })
	if i < 0 {
		return Office{}, false
	}
	return p.Offices[i], true
}

// Closed reports whether a closure shuts office on d. Days without weekly
// hours are not closures: Closed says nothing about them.
func (p *Program) Closed(office string, d Date) bool {
	_, closed := p.Closure(office, d)
	return closed
}

// Closure returns the closure that shuts office on d, if any, so a reply can
// say why (its Reason).
func (p *Program) Closure(office string, d Date) (Closure, bool) {
	for _, c := range p.Closures {
		if c.Date == d && (len(c.Offices) == 0 || slices.Contains(c.Offices, office)) {
			return c, true
		}
	}
	return Closure{}, false
}

// Slots returns the starts of office's slots on d in order, in p.Location:
// none on a closed day. Each start is made from the wall clock, so a 09:00
// slot is at 09:00 local time on both sides of a DST change. On the day the
// clocks spring forward, wall times in the skipped hour do not exist and
// have no slot; on the day they fall back, a wall time that happens twice
// gives one slot, at its first instant (so the slot after the repeated hour
// starts that much later in absolute time).
func (p *Program) Slots(o Office, d Date) []time.Time {
	spans := o.Hours[d.Weekday()]
	if len(spans) == 0 || o.SlotMinutes <= 0 || p.Closed(o.ID, d) {
		return nil
	}
	n := 0
	for _, sp := range spans {
		n += max(0, (sp.End-sp.Start)/o.SlotMinutes)
	}
	out := make([]time.Time, 0, n)
	midnight, steady := steadyDay(p.Location, d)
	for _, sp := range spans {
		for m := sp.Start; m+o.SlotMinutes <= sp.End; m += o.SlotMinutes {
			if steady {
				out = append(out, midnight.Add(time.Duration(m)*time.Minute))
			} else if t, ok := wallTime(p.Location, d, m); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

// steadyDay returns midnight starting d in loc and whether every wall time
// of d is simply that midnight plus its minutes: no clock change during d
// nor in the day before it (a recent fall back can make d's early wall
// times happen twice). Finding the zone once per day instead of once per
// slot makes listing a month of slots about 20 times cheaper; the few days
// around a change take the slow path through wallTime.
func steadyDay(loc *time.Location, d Date) (time.Time, bool) {
	t := d.In(loc, 0, 0)
	start, end := t.ZoneBounds()
	return t, t.Hour() == 0 && t.Minute() == 0 && DateOf(t) == d &&
		(start.IsZero() || !t.Add(-24*time.Hour).Before(start)) &&
		(end.IsZero() || !end.Before(t.Add(24*time.Hour)))
}

// wallTime returns the first instant at which loc's clocks show d at minutes
// after midnight, or false if they never do.
func wallTime(loc *time.Location, d Date, minutes int) (time.Time, bool) {
	h, m := minutes/60, minutes%60
	t := d.In(loc, h, m)
	if t.Hour() != h || t.Minute() != m || DateOf(t) != d {
		return time.Time{}, false // time.Date moved it out of a gap
	}
	// time.Date may pick either instant of a repeated wall time: if the
	// clocks were set back less than the shift ago, the earlier one exists.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, before := start.Add(-time.Nanosecond).Zone()
		_, after := t.Zone()
		if back := time.Duration(before-after) * time.Second; back > 0 && t.Sub(start) < back {
			t = t.Add(-back)
		}
	}
	return t, true
}

// Name returns the office's name in lang, or in the program's first
// language when it has none in lang.
func (o Office) Name(lang string) string {
	if n := o.Names[lang]; n != "" {
		return n
	}
	return o.DefaultName
}
