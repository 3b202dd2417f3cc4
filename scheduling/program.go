package scheduling

import "time"

// Program is a city's ID program as its program file (TOML) describes it.
// Load builds one and validates it; its fields are then read-only.
type Program struct {
	Source        string         // file name it was loaded from, for messages
	Name          string         // program name shown to residents, e.g. "CityKey"
	Location      *time.Location // program time zone (toml: time_zone)
	Region        string         // default phone region, e.g. "US" (toml: phone_region)
	Languages     []string       // offered languages in menu order, first is the default
	HorizonDays   int            // how many days ahead one can book (toml: horizon_days)
	Lead          time.Duration  // minimum time between booking and slot (toml: lead_time, "2h")
	ChangesPerDay int            // booking changes per identity per day (toml: changes_per_day)
	ReminderLead  time.Duration  // reminder sent this long before the slot (toml: reminder_lead, "24h")
	MaxParty      int            // most people one booking may cover, 1..MaxPartyLimit (toml: max_party; absent: 1)
	Offices       []Office
	Closures      []Closure
	Eligibility   []Question
	Documents     []Document
}

// MaxPartyLimit is the largest max_party a program file may set: a party
// size is answered with one or two digits and stored in one byte.
const MaxPartyLimit = 20

// Office is a place residents go to, with its weekly hours and capacity.
type Office struct {
	ID          string
	Names       map[string]string // by language code; Languages[0] always present
	DefaultName string            // Names[Languages[0]], what Name falls back to
	Address     string
	Hours       [7][]Span // by time.Weekday, local wall-clock ranges
	SlotMinutes int
	Desks       int // capacity of each slot
}

// Span is an opening range on a day, in minutes after local midnight: [Start, End).
type Span struct{ Start, End int }

// Closure closes offices on a date: all of them when Offices is empty.
type Closure struct {
	Date    Date
	Offices []string
	Reason  string // message id, optional (e.g. "holiday.thanksgiving")
}

// Question is an eligibility question answered yes or no. Both fields are
// message ids in the locale files.
type Question struct {
	ID string // the question; "yes" means eligible so far
	No string // why "no" means not eligible, and what else helps
}

// Document is a category of proof to bring; both fields are message ids.
type Document struct {
	ID       string // category, e.g. "doc.identity"
	Examples string // examples, e.g. "doc.identity.examples"
}
