package scheduling

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadDemo(t *testing.T) {
	p, err := Load(DemoName, DemoProgram)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != DemoName || p.Name != "CityKey" || p.Location.String() != "America/Chicago" || p.Region != "US" {
		t.Errorf("program = %q %q %v %q", p.Source, p.Name, p.Location, p.Region)
	}
	if diff := cmp.Diff([]string{"en", "es", "pl", "zh", "ar", "fr", "tl", "uk", "ko", "ru", "ur", "hi", "gu", "vi"}, p.Languages); diff != "" {
		t.Errorf("languages (-want +got):\n%s", diff)
	}
	if p.MaxParty != 5 {
		t.Errorf("max_party = %d, want 5", p.MaxParty)
	}
	if p.HorizonDays != 30 || p.Lead != 2*time.Hour || p.ChangesPerDay != 3 || p.ReminderLead != 24*time.Hour {
		t.Errorf("rules = %d days, lead %v, %d changes, reminder %v", p.HorizonDays, p.Lead, p.ChangesPerDay, p.ReminderLead)
	}
	if len(p.Offices) < 3 {
		t.Errorf("%d offices, want at least 3", len(p.Offices))
	}
	hall, ok := p.Office("city-hall")
	if !ok {
		t.Fatal("no city-hall office")
	}
	if hall.Name("en") != "City Hall" || hall.Address != "121 N LaSalle St, Room 107, Chicago, IL 60602" || hall.SlotMinutes != 15 {
		t.Errorf("city-hall = %q %q %d", hall.Name("en"), hall.Address, hall.SlotMinutes)
	}
	if want := []Span{{9 * 60, 17 * 60}}; !cmp.Equal(hall.Hours[time.Monday], want) || hall.Hours[time.Sunday] != nil {
		t.Errorf("city-hall hours = %v", hall.Hours)
	}
	for _, o := range p.Offices {
		if o.SlotMinutes != 15 || o.Desks < 2 || o.Desks > 5 {
			t.Errorf("office %s: %d-minute slots, %d desks", o.ID, o.SlotMinutes, o.Desks)
		}
	}

	holidays := map[string]string{
		"2026-11-26": "holiday.thanksgiving",
		"2026-11-27": "holiday.day_after_thanksgiving",
		"2026-12-25": "holiday.christmas",
		"2027-01-01": "holiday.new_year",
		"2027-01-18": "holiday.mlk_day",
		"2027-02-12": "holiday.lincolns_birthday",
		"2027-02-15": "holiday.presidents_day",
		"2027-03-01": "holiday.pulaski_day",
		"2027-05-31": "holiday.memorial_day",
		"2027-06-18": "holiday.juneteenth",
		"2027-07-05": "holiday.independence_day",
		"2027-09-06": "holiday.labor_day",
		"2027-10-11": "holiday.indigenous_peoples_day",
		"2027-11-11": "holiday.veterans_day",
		"2027-11-25": "holiday.thanksgiving",
		"2027-11-26": "holiday.day_after_thanksgiving",
	}
	got := map[string]string{}
	for _, c := range p.Closures {
		if len(c.Offices) != 0 {
			t.Errorf("closure %s closes only %v", c.Date, c.Offices)
		}
		got[c.Date.String()] = c.Reason
	}
	if diff := cmp.Diff(holidays, got); diff != "" {
		t.Errorf("closures (-want +got):\n%s", diff)
	}

	wantQ := []Question{
		{"eligibility.resident", "eligibility.resident.no"},
		{"eligibility.age", "eligibility.age.no"},
		{"eligibility.identity", "eligibility.identity.no"},
		{"eligibility.residency", "eligibility.residency.no"},
	}
	if diff := cmp.Diff(wantQ, p.Eligibility); diff != "" {
		t.Errorf("eligibility (-want +got):\n%s", diff)
	}
	wantD := []Document{
		{"document.identity", "document.identity.examples"},
		{"document.residency", "document.residency.examples"},
	}
	if diff := cmp.Diff(wantD, p.Documents); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if Demo().Name != "CityKey" {
		t.Error("Demo() differs from Load of DemoProgram")
	}
}

// testProgram is a small valid program; badLoadTests break one line of it.
// The line numbers in badLoadTests refer to it: keep its lines where they are.
const testProgram = `name = "Test"
time_zone = "America/Chicago"
phone_region = "US"
languages = ["en", "es"]
horizon_days = 30
lead_time = "2h"
changes_per_day = 3
reminder_lead = "24h"

[[office]]
id = "a"
name = { en = "A", es = "A" }
address = "1 Main St"
slot_minutes = 15
desks = 2
hours = { mon = ["09:00-12:00", "13:00-17:00"], sat = ["09:00-13:00"] }

[[office]]
id = "b"
name = { en = "B" }
address = "2 Main St"
slot_minutes = 30
desks = 1
hours = {
  tue = ["10:00-14:00"],
  thu = ["10:00-14:00"],
}

[[closure]]
date = 2026-12-25
reason = "holiday.christmas"

[[closure]]
date = "2026-12-26"
offices = ["b"]

[[eligibility]]
question = "q.one"
no = "q.one.no"

[[document]]
category = "d.one"
examples = "d.one.examples"
`

func TestLoadTestProgram(t *testing.T) {
	p, err := Load("test.toml", []byte(testProgram))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Office("b")
	want := Office{
		ID:          "b",
		Names:       map[string]string{"en": "B"},
		DefaultName: "B",
		Address:     "2 Main St",
		SlotMinutes: 30,
		Desks:       1,
	}
	want.Hours[time.Tuesday] = []Span{{600, 840}}
	want.Hours[time.Thursday] = []Span{{600, 840}}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("office b (-want +got):\n%s", diff)
	}
	if b.Name("es") != "B" || b.Name("fr") != "B" {
		t.Errorf("Name falls back to %q, %q", b.Name("es"), b.Name("fr"))
	}
	wantC := []Closure{
		{Date: Date{2026, 12, 25}, Reason: "holiday.christmas"},
		{Date: Date{2026, 12, 26}, Offices: []string{"b"}}, // a date written as a string
	}
	if diff := cmp.Diff(wantC, p.Closures); diff != "" {
		t.Errorf("closures (-want +got):\n%s", diff)
	}
}

var badLoadTests = []struct {
	name     string
	old, new string // the edit that breaks testProgram
	line     int
	field    string
	msg      string // a part of the message
}{
	{"syntax error", `desks = 1`, `desks = = 1`, 23, "office.desks", "expected value"}, // toml's key path: no index,
	{"duplicate key", `desks = 1`, "desks = 1\ndesks = 2", 24, "office.desks", "already been defined"},
	{"missing top-level key", `name = "Test"`, ``, 0, "name", "missing"},
	{"unknown top-level key", `horizon_days = 30`, "horizon_days = 30\nhorizon = 3", 6, "horizon", "unknown key"},
	{"unknown zone", `"America/Chicago"`, `"America/Chicgo"`, 2, "time_zone", "unknown time zone"},
	{"machine zone", `"America/Chicago"`, `"Local"`, 2, "time_zone", "not the machine's"},
	{"region lowercase", `"US"`, `"us"`, 3, "phone_region", "two capital letters"},
	{"region too long", `"US"`, `"USA"`, 3, "phone_region", "two capital letters"},
	{"no languages", `["en", "es"]`, `[]`, 4, "languages", "at least one"},
	{"language twice", `["en", "es"]`, `["en", "es", "en"]`, 4, "languages[2]", "listed twice"},
	{"not a language", `["en", "es"]`, `["en", "Spanish"]`, 4, "languages[1]", "not a language code"},
	{"horizon zero", `horizon_days = 30`, `horizon_days = 0`, 5, "horizon_days", "between 1 and 366"},
	{"horizon too far", `horizon_days = 30`, `horizon_days = 367`, 5, "horizon_days", "between 1 and 366"},
	{"horizon a string", `horizon_days = 30`, `horizon_days = "30"`, 5, "horizon_days", "whole number"},
	{"horizon a float", `horizon_days = 30`, `horizon_days = 30.5`, 5, "horizon_days", "whole number"},
	{"lead not a duration", `"2h"`, `"2 hours"`, 6, "lead_time", "not a duration"},
	{"lead negative", `"2h"`, `"-1h"`, 6, "lead_time", "negative"},
	{"no changes", `changes_per_day = 3`, `changes_per_day = 0`, 7, "changes_per_day", "at least 1"},
	{"reminder bad", `"24h"`, `"1d"`, 8, "reminder_lead", "not a duration"},
	{"party zero", "changes_per_day = 3", "changes_per_day = 3\nmax_party = 0", 8, "max_party", "between 1 and 20"},
	{"party too large", "changes_per_day = 3", "changes_per_day = 3\nmax_party = 99", 8, "max_party", "between 1 and 20"},
	{"party a word", "changes_per_day = 3", "changes_per_day = 3\nmax_party = \"tres\"", 8, "max_party", "whole number"},
	// Offices a and b have 2 and 1 desks: a party of 3 could never sit in one slot.
	{"party above every office's desks", "changes_per_day = 3", "changes_per_day = 3\nmax_party = 3", 8, "max_party", "more than the desks of any office (at most 2)"},
	{"no offices", "[[office]]\nid = \"a\"\nname = { en = \"A\", es = \"A\" }\naddress = \"1 Main St\"\nslot_minutes = 15\ndesks = 2\nhours = { mon = [\"09:00-12:00\", \"13:00-17:00\"], sat = [\"09:00-13:00\"] }\n\n[[office]]\nid = \"b\"\nname = { en = \"B\" }\naddress = \"2 Main St\"\nslot_minutes = 30\ndesks = 1\nhours = {\n  tue = [\"10:00-14:00\"],\n  thu = [\"10:00-14:00\"],\n}\n", "", 0, "office", "at least one"},
	{"office written as a table", `[[office]]
id = "a"`, `[office]
id = "a"`, 18, "", "cannot be used as an array"}, // the next [[office]] collides with the table
	{"office id missing", `id = "b"`, ``, 18, "office[1].id", "missing"}, // reported on the [[office]] line
	{"office id uppercase", `id = "b"`, `id = "B"`, 19, "office[1].id", "lowercase"},
	{"office id twice", `id = "b"`, `id = "a"`, 19, "office[1].id", "already the id of office[0]"},
	{"office unknown key", `desks = 1`, "desks = 1\ndesk = 1", 24, "office[1].desk", "unknown key"},
	{"name not in first language", `name = { en = "B" }`, `name = { es = "B" }`, 20, "office[1].name", "first language"},
	{"name in unknown language", `name = { en = "B" }`, `name = { en = "B", fr = "B" }`, 20, "office[1].name.fr", "not one of the program's languages"},
	{"name empty", `name = { en = "B" }`, `name = { en = "" }`, 20, "office[1].name.en", "empty"},
	{"name a string", `name = { en = "B" }`, `name = "B"`, 20, "office[1].name", "must be a table"},
	{"address empty", `"2 Main St"`, `" "`, 21, "office[1].address", "empty"},
	{"slot too short", `slot_minutes = 30`, `slot_minutes = 4`, 22, "office[1].slot_minutes", "between 5 and 240"},
	{"slot too long", `slot_minutes = 30`, `slot_minutes = 241`, 22, "office[1].slot_minutes", "between 5 and 240"},
	{"no desks", `desks = 1`, `desks = 0`, 23, "office[1].desks", "at least 1"},
	{"desks missing", `desks = 1`, ``, 18, "office[1].desks", "missing"},
	{"hours missing", "hours = {\n  tue", "xhours = {\n  tue", 24, "office[1].xhours", "unknown key"},
	{"unknown day", `  tue = ["10:00-14:00"],`, `  tues = ["10:00-14:00"],`, 25, "office[1].hours.tues", "unknown day"},
	{"range malformed", `  thu = ["10:00-14:00"],`, `  thu = ["10:00-14:00", "9-12"],`, 26, "office[1].hours.thu[1]", "not a range"},
	{"range backwards", `  thu = ["10:00-14:00"],`, `  thu = ["14:00-10:00"],`, 26, "office[1].hours.thu[0]", "end after it starts"},
	{"range empty", `  thu = ["10:00-14:00"],`, `  thu = ["10:00-10:00"],`, 26, "office[1].hours.thu[0]", "end after it starts"},
	{"hour 25", `  thu = ["10:00-14:00"],`, `  thu = ["10:00-25:00"],`, 26, "office[1].hours.thu[0]", "not a time of day"},
	{"minute 60", `  thu = ["10:00-14:00"],`, `  thu = ["10:60-14:00"],`, 26, "office[1].hours.thu[0]", "not a time of day"},
	{"ranges overlap", `  thu = ["10:00-14:00"],`, `  thu = ["13:00-15:00", "10:00-14:00"],`, 26, "office[1].hours.thu[0]", "overlaps thu[1]"},
	{"partial slot", `  thu = ["10:00-14:00"],`, `  thu = ["10:00-14:15"],`, 26, "office[1].hours.thu[0]", "whole number of 30-minute slots"},
	{"day on its own line", `  thu = ["10:00-14:00"],`, "  thu = [\n    \"10:00-14:00\",\n    \"bad\",\n  ],", 28, "office[1].hours.thu[1]", "not a range"},
	{"never open", "  tue = [\"10:00-14:00\"],\n  thu = [\"10:00-14:00\"],", "  tue = [],", 24, "office[1].hours", "never open"},
	{"range a number", `sat = ["09:00-13:00"]`, `sat = [9]`, 16, "office[0].hours.sat[0]", "must be a string"},
	{"closure date malformed", `date = "2026-12-26"`, `date = "2026-12-32"`, 34, "closure[1].date", "must be a date"},
	{"closure date with time", `date = 2026-12-25`, `date = 2026-12-25T10:00:00`, 30, "closure[0].date", "must be a date"},
	{"closure date missing", `date = 2026-12-25`, ``, 29, "closure[0].date", "missing"},
	{"closure unknown office", `offices = ["b"]`, `offices = ["b", "c"]`, 35, "closure[1].offices[1]", `no office has the id "c"`},
	{"closure reason not an id", `reason = "holiday.christmas"`, `reason = "Merry Christmas"`, 31, "closure[0].reason", "not a message id"},
	{"question empty", `question = "q.one"`, `question = ""`, 38, "eligibility[0].question", "empty"},
	{"question no missing", `no = "q.one.no"`, ``, 37, "eligibility[0].no", "missing"},
	{"document examples not a string", `examples = "d.one.examples"`, `examples = ["d.one.examples"]`, 43, "document[0].examples", "must be a string"},
	// These four have a second edit in secondEdits.
	{"eligibility a string", "[[eligibility]]\nquestion = \"q.one\"\nno = \"q.one.no\"", "", 9, "eligibility", "must be written as [[eligibility]] tables"},
	// An array of inline tables is the same as [[document]] tables.
	{"inline document", "[[document]]\ncategory = \"d.one\"\nexamples = \"d.one.examples\"", "", 9, "document[1].examples", "empty"},
	{"inline document over lines", "[[document]]\ncategory = \"d.one\"\nexamples = \"d.one.examples\"", "", 11, "document[1].examples", "missing"},
	{"inline document not a table", "[[document]]\ncategory = \"d.one\"\nexamples = \"d.one.examples\"", "", 9, "document[1]", "must be a table, not a string"},
	{"document unknown key", `category = "d.one"`, "category = \"d.one\"\nexample = \"x\"", 43, "document[0].example", "unknown key"},
}

// secondEdits are further edits of some badLoadTests: top-level keys must
// come before the first table, so these go on line 9.
var secondEdits = map[string][2]string{
	"eligibility a string":        {"\n\n[[office]]", "\neligibility = \"yes\"\n[[office]]"},
	"inline document":             {"\n\n[[office]]", "\ndocument = [{ category = \"d.one\", examples = \"e\" }, { category = \"d.two\", examples = \"\" }]\n[[office]]"},
	"inline document over lines":  {"\n\n[[office]]", "\ndocument = [\n  { category = \"d.one\", examples = \"e\" },\n  { category = \"d.two\" },\n]\n[[office]]"},
	"inline document not a table": {"\n\n[[office]]", "\ndocument = [{ category = \"d.one\", examples = \"e\" }, \"d.two\"]\n[[office]]"},
}

func TestLoadBad(t *testing.T) {
	for _, tt := range badLoadTests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(testProgram, tt.old) {
				t.Fatalf("%q is not in testProgram", tt.old)
			}
			text := strings.Replace(testProgram, tt.old, tt.new, 1)
			if e, ok := secondEdits[tt.name]; ok {
				if !strings.Contains(text, e[0]) {
					t.Fatalf("%q is not in the edited testProgram", e[0])
				}
				text = strings.Replace(text, e[0], e[1], 1)
			}
			_, err := Load("bad.toml", []byte(text))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want a *ConfigError", err)
			}
			if ce.File != "bad.toml" || ce.Line != tt.line || ce.Field != tt.field || !strings.Contains(ce.Msg, tt.msg) {
				t.Errorf("Load = %q\nwant bad.toml:%d: %s: ...%s...", err, tt.line, tt.field, tt.msg)
			}
		})
	}
}

func TestConfigErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  ConfigError
		want string
	}{
		{"full", ConfigError{"demo.toml", 14, "office[2].desks", "must be at least 1"}, "demo.toml:14: office[2].desks: must be at least 1"},
		{"no line", ConfigError{"demo.toml", 0, "name", "missing"}, "demo.toml: name: missing"},
		{"no field", ConfigError{"demo.toml", 3, "", "expected value"}, "demo.toml:3: expected value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyLines(t *testing.T) {
	text := `a = 1 # comment with = and [x]
s = """
b = "not a key"
"""
[t]
"quoted key".x = 'lit'
arr = [
  { k = 1 },
  { k = 2,
    j = 3 },
]
[[t.list]]
k = 1
[[t.list]]
k = 2
[t.list.sub]
z = 0
`
	want := map[string]int{
		"a": 1, "s": 2, "t": 5, "t.quoted key.x": 6,
		"t.arr": 7, "t.arr[0]": 8, "t.arr[0].k": 8, "t.arr[1]": 9, "t.arr[1].k": 9, "t.arr[1].j": 10,
		"t.list[0]": 12, "t.list[0].k": 13, "t.list[1]": 14, "t.list[1].k": 15,
		"t.list[1].sub": 16, "t.list[1].sub.z": 17,
	}
	if diff := cmp.Diff(want, keyLines(text)); diff != "" {
		t.Errorf("keyLines (-want +got):\n%s", diff)
	}
}

func TestDemoProgramWithDesks(t *testing.T) {
	p, err := Load(DemoName, DemoProgramWithDesks(1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Offices) != len(Demo().Offices) {
		t.Fatalf("%d offices, want the demo's %d", len(p.Offices), len(Demo().Offices))
	}
	for _, o := range p.Offices {
		if o.Desks != 1000 {
			t.Errorf("office %s has %d desks, want 1000", o.ID, o.Desks)
		}
	}
}
