package scheduling

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the program's zone must load on machines without zoneinfo

	"github.com/BurntSushi/toml"
)

// ConfigError is a mistake in a program file, located for the operator who
// has to fix it.
type ConfigError struct {
	File  string // file name as given to Load
	Line  int    // from 1; 0 when there is no line to point at (a missing top-level key)
	Field string // key path, e.g. "office[2].desks", items counted from 0; may be empty for syntax errors
	Msg   string
}

// Error returns "file:line: field: msg", leaving out what is unknown.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Load parses a program file (its shape is documented at the top of
// demo.toml) and checks it. name is only used in messages. Any mistake comes
// back as a *ConfigError; Load reports the first one it finds.
func Load(name string, data []byte) (*Program, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ConfigError{File: name, Line: pe.Position.Line, Field: pe.LastKey, Msg: pe.Message}
		}
		return nil, &ConfigError{File: name, Msg: err.Error()}
	}
	l := &loader{file: name, lines: keyLines(string(data))}
	p := l.program(raw)
	if l.err != nil {
		return nil, l.err
	}
	p.Source = name
	return p, nil
}

var (
	officeID     = regexp.MustCompile(`^[a-z0-9-]+$`)
	languageCode = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	regionCode   = regexp.MustCompile(`^[A-Z]{2}$`)
	messageID    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	hoursRange   = regexp.MustCompile(`^(\d\d):(\d\d)-(\d\d):(\d\d)$`)
)

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// loader walks the decoded file. It keeps the first mistake and carries on
// with zero values, so the walk needs no error checks between steps; what it
// reports after the first mistake is dropped.
type loader struct {
	file  string
	lines map[string]int // key path -> line, see keyLines
	err   *ConfigError
}

func (l *loader) failf(field, format string, args ...any) {
	if l.err == nil {
		l.err = &ConfigError{File: l.file, Line: lineOf(l.lines, field), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (l *loader) program(raw map[string]any) *Program {
	l.known(raw, "", "name", "time_zone", "phone_region", "languages", "horizon_days", "lead_time",
		"changes_per_day", "max_party", "reminder_lead", "office", "closure", "eligibility", "document")
	p := &Program{Location: time.UTC}

	p.Name = l.str(raw, "", "name", true)

	if tz := l.str(raw, "", "time_zone", true); tz != "" {
		loc, err := time.LoadLocation(tz)
		switch {
		case tz == "Local":
			l.failf("time_zone", "must name a zone, like America/Chicago, not the machine's")
		case err != nil:
			l.failf("time_zone", "unknown time zone %q", tz)
		default:
			p.Location = loc
		}
	}

	p.Region = l.str(raw, "", "phone_region", true)
	if p.Region != "" && !regionCode.MatchString(p.Region) {
		l.failf("phone_region", "%q is not a region: want two capital letters, like US", p.Region)
	}

	p.Languages = l.strs(raw, "", "languages", true)
	if _, ok := raw["languages"]; ok && len(p.Languages) == 0 {
		l.failf("languages", "must list at least one language")
	}
	for i, lang := range p.Languages {
		f := fmt.Sprintf("languages[%d]", i)
		if !languageCode.MatchString(lang) {
			l.failf(f, "%q is not a language code, like en or es", lang)
		}
		if j := slices.Index(p.Languages, lang); j < i {
			l.failf(f, "%q is listed twice", lang)
		}
	}

	if n, ok := l.integer(raw, "", "horizon_days"); ok && (n < 1 || n > 366) {
		l.failf("horizon_days", "must be between 1 and 366, not %d", n)
	} else {
		p.HorizonDays = n
	}
	p.Lead = l.duration(raw, "", "lead_time")
	if n, ok := l.integer(raw, "", "changes_per_day"); ok && n < 1 {
		l.failf("changes_per_day", "must be at least 1, not %d", n)
	} else {
		p.ChangesPerDay = n
	}
	p.ReminderLead = l.duration(raw, "", "reminder_lead")
	p.MaxParty = 1
	if _, set := raw["max_party"]; set {
		if n, ok := l.integer(raw, "", "max_party"); ok && (n < 1 || n > MaxPartyLimit) {
			l.failf("max_party", "must be between 1 and %d, not %d", MaxPartyLimit, n)
		} else if ok {
			p.MaxParty = n
		}
	}

	offices := l.tables(raw, "", "office")
	if _, ok := raw["office"]; !ok || len(offices) == 0 {
		l.failf("office", "at least one [[office]] is required")
	}
	for i, t := range offices {
		f := fmt.Sprintf("office[%d]", i)
		o := l.office(t, f, p.Languages)
		if j := slices.IndexFunc(p.Offices, func(o2 Office) bool { return o2.ID == o.ID }); j >= 0 && o.ID != "" {
			l.failf(f+".id", "%q is already the id of office[%d]", o.ID, j)
		}
		p.Offices = append(p.Offices, o)
	}
	most := 0
	for _, o := range p.Offices {
		most = max(most, o.Desks)
	}
	if most > 0 && p.MaxParty > most {
		// The whole party sits in one slot (README, "Families"): a party no
		// office has desks for could be asked for and never booked.
		l.failf("max_party", "%d is more than the desks of any office (at most %d): such a party could never book", p.MaxParty, most)
	}

	for i, t := range l.tables(raw, "", "closure") {
		p.Closures = append(p.Closures, l.closure(t, fmt.Sprintf("closure[%d]", i), p))
	}
	for i, t := range l.tables(raw, "", "eligibility") {
		f := fmt.Sprintf("eligibility[%d]", i)
		l.known(t, f, "question", "no")
		p.Eligibility = append(p.Eligibility, Question{
			ID: l.message(t, f, "question", true),
			No: l.message(t, f, "no", true),
		})
	}
	for i, t := range l.tables(raw, "", "document") {
		f := fmt.Sprintf("document[%d]", i)
		l.known(t, f, "category", "examples")
		p.Documents = append(p.Documents, Document{
			ID:       l.message(t, f, "category", true),
			Examples: l.message(t, f, "examples", true),
		})
	}
	return p
}

func (l *loader) office(t map[string]any, f string, langs []string) Office {
	l.known(t, f, "id", "name", "address", "slot_minutes", "desks", "hours")
	var o Office
	o.ID = l.str(t, f, "id", true)
	if o.ID != "" && !officeID.MatchString(o.ID) {
		l.failf(f+".id", "%q: use lowercase letters, digits and dashes", o.ID)
	}

	names := l.table(t, f, "name", true)
	o.Names = make(map[string]string, len(names))
	for _, lang := range l.sortedKeys(names, f+".name") {
		nf := f + ".name." + lang
		if !slices.Contains(langs, lang) {
			l.failf(nf, "%q is not one of the program's languages %v", lang, langs)
		}
		o.Names[lang] = l.str(names, f+".name", lang, true)
	}
	if len(langs) > 0 && names != nil {
		if o.DefaultName = o.Names[langs[0]]; o.DefaultName == "" {
			l.failf(f+".name", "needs a name in %s, the program's first language", langs[0])
		}
	}

	o.Address = l.str(t, f, "address", true)

	slot, ok := l.integer(t, f, "slot_minutes")
	if ok && (slot < 5 || slot > 240) {
		l.failf(f+".slot_minutes", "must be between 5 and 240, not %d", slot)
		ok = false
	}
	o.SlotMinutes = slot
	if n, ok := l.integer(t, f, "desks"); ok && n < 1 {
		l.failf(f+".desks", "must be at least 1, not %d", n)
	} else {
		o.Desks = n
	}

	hf := f + ".hours"
	hours := l.table(t, f, "hours", true)
	open := false
	for _, day := range l.sortedKeys(hours, hf) {
		df := hf + "." + day
		wd, known := weekdays[day]
		if !known {
			l.failf(df, "unknown day: use mon, tue, wed, thu, fri, sat or sun")
			continue
		}
		type indexed struct {
			Span
			i int
		}
		var spans []indexed
		for i, s := range l.strs(hours, hf, day, false) {
			sp, err := parseSpan(s)
			if err != nil {
				l.failf(fmt.Sprintf("%s[%d]", df, i), "%v", err)
				continue
			}
			if ok && (sp.End-sp.Start)%slot != 0 {
				l.failf(fmt.Sprintf("%s[%d]", df, i), "%q is not a whole number of %d-minute slots", s, slot)
			}
			spans = append(spans, indexed{sp, i})
		}
		slices.SortFunc(spans, func(a, b indexed) int { return a.Start - b.Start })
		for k, sp := range spans {
			if k > 0 && sp.Start < spans[k-1].End {
				l.failf(fmt.Sprintf("%s[%d]", df, sp.i), "overlaps %s[%d]", day, spans[k-1].i)
			}
			o.Hours[wd] = append(o.Hours[wd], sp.Span)
			open = true
		}
	}
	if hours != nil && !open {
		l.failf(hf, "the office is never open")
	}
	return o
}

// parseSpan parses "HH:MM-HH:MM"; the end may be 24:00.
func parseSpan(s string) (Span, error) {
	m := hoursRange.FindStringSubmatch(s)
	if m == nil {
		return Span{}, fmt.Errorf("%q is not a range like \"09:00-17:00\"", s)
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	for _, hm := range [][2]int{{n[0], n[1]}, {n[2], n[3]}} {
		if hm[0] > 24 || hm[1] > 59 || hm[0] == 24 && hm[1] != 0 {
			return Span{}, fmt.Errorf("%q: %02d:%02d is not a time of day", s, hm[0], hm[1])
		}
	}
	sp := Span{Start: n[0]*60 + n[1], End: n[2]*60 + n[3]}
	if sp.Start >= sp.End {
		return Span{}, fmt.Errorf("%q must end after it starts", s)
	}
	return sp, nil
}

func (l *loader) closure(t map[string]any, f string, p *Program) Closure {
	l.known(t, f, "date", "offices", "reason")
	var c Closure
	c.Date = l.date(t, f, "date")
	c.Offices = l.strs(t, f, "offices", false)
	for i, id := range c.Offices {
		if _, ok := p.Office(id); !ok {
			l.failf(fmt.Sprintf("%s.offices[%d]", f, i), "no office has the id %q", id)
		}
	}
	c.Reason = l.message(t, f, "reason", false)
	return c
}

// known reports the first key of t, in file order, that is not one of keys:
// a misspelt key would otherwise be silently ignored.
func (l *loader) known(t map[string]any, f string, keys ...string) {
	for _, k := range l.sortedKeys(t, f) {
		if !slices.Contains(keys, k) {
			l.failf(join(f, k), "unknown key; known keys are %s", strings.Join(keys, ", "))
		}
	}
}

// sortedKeys returns t's keys in the order they appear in the file.
func (l *loader) sortedKeys(t map[string]any, f string) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := lineOf(l.lines, join(f, a)) - lineOf(l.lines, join(f, b)); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

func (l *loader) get(t map[string]any, f, key string, required bool) (any, bool) {
	v, ok := t[key]
	if !ok && required {
		l.failf(join(f, key), "missing")
	}
	return v, ok
}

func (l *loader) str(t map[string]any, f, key string, required bool) string {
	v, ok := l.get(t, f, key, required)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	switch {
	case !ok:
		l.failf(join(f, key), "must be a string, not %s", kind(v))
	case required && strings.TrimSpace(s) == "":
		l.failf(join(f, key), "must not be empty")
	}
	return s
}

func (l *loader) strs(t map[string]any, f, key string, required bool) []string {
	v, ok := l.get(t, f, key, required)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		l.failf(join(f, key), "must be a list of strings, not %s", kind(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			l.failf(fmt.Sprintf("%s[%d]", join(f, key), i), "must be a string, not %s", kind(item))
		}
		out = append(out, s)
	}
	return out
}

// integer returns t[key] as an int; ok is false if it is missing or not an integer.
func (l *loader) integer(t map[string]any, f, key string) (int, bool) {
	v, ok := l.get(t, f, key, true)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		l.failf(join(f, key), "must be a whole number, not %s", kind(v))
		return 0, false
	}
	if n < -1<<31 || n > 1<<31-1 {
		l.failf(join(f, key), "%d is out of range", n)
		return 0, false
	}
	return int(n), true
}

func (l *loader) duration(t map[string]any, f, key string) time.Duration {
	s := l.str(t, f, key, true)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		l.failf(join(f, key), "%q is not a duration, like \"2h\" or \"30m\"", s)
	case d < 0:
		l.failf(join(f, key), "must not be negative")
	}
	return d
}

func (l *loader) table(t map[string]any, f, key string, required bool) map[string]any {
	v, ok := l.get(t, f, key, required)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		l.failf(join(f, key), "must be a table, not %s", kind(v))
	}
	return m
}

// tables returns an array of tables, written as [[key]] or as key = [{...}].
func (l *loader) tables(t map[string]any, f, key string) []map[string]any {
	switch v := t[key].(type) {
	case nil:
		return nil
	case []map[string]any:
		return v
	case []any:
		out := make([]map[string]any, 0, len(v))
		for i, item := range v {
			m, ok := item.(map[string]any)
			if !ok {
				l.failf(fmt.Sprintf("%s[%d]", join(f, key), i), "must be a table, not %s", kind(item))
			}
			out = append(out, m)
		}
		return out
	default:
		l.failf(join(f, key), "must be written as [[%s]] tables, not %s", key, kind(v))
		return nil
	}
}

func (l *loader) message(t map[string]any, f, key string, required bool) string {
	s := l.str(t, f, key, required)
	if s != "" && !messageID.MatchString(s) {
		l.failf(join(f, key), "%q is not a message id (letters, digits, '.', '_' and '-')", s)
	}
	return s
}

// date accepts a TOML local date (2026-12-25) or the same as a string.
func (l *loader) date(t map[string]any, f, key string) Date {
	v, ok := l.get(t, f, key, true)
	if !ok {
		return Date{}
	}
	switch v := v.(type) {
	case time.Time:
		if v.Location().String() == "date-local" { // how toml marks a date without time or offset
			return DateOf(v)
		}
	case string:
		d, err := ParseDate(v)
		if err == nil {
			return d
		}
	}
	l.failf(join(f, key), "must be a date, like 2026-12-25")
	return Date{}
}

// kind names a decoded TOML value's type for messages.
func kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a decimal number"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date or time"
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
