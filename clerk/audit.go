package clerk

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// auditPageSize is how many entries, newest first, the audit page shows.
const auditPageSize = 500

type auditEntry struct {
	Time, Clerk, Action, Words, Code string
}

// auditKinds are the filters of the audit page: the first word of an
// action names its kind.
var auditKinds = []reason{
	{"check-in", "Check-ins"},
	{"call", "Calls to a desk"},
	{"served", "Served"},
	{"no-show", "No-shows"},
	{"undo", "Undos"},
	{"cancel", "Cancellations"},
	{"walk-in", "Walk-ins"},
	{"lookup", "Phone look-ups"},
	{"office", "Closing and reopening offices"},
	{"export", "Exports and print-outs"},
	{"lobby", "Waiting-room screen links"},
	{"sign-in", "Sign-ins and sign-outs"},
}

// auditKind is the filter an action falls under.
func auditKind(action string) string {
	first, _, _ := strings.Cut(action, " ")
	switch {
	case strings.Contains(first, "lookup"):
		return "lookup"
	case strings.HasPrefix(first, "check-in"):
		return "check-in"
	case strings.HasPrefix(first, "cancel"):
		return "cancel"
	case strings.HasPrefix(first, "undo"):
		return "undo"
	case first == "close-office" || first == "reopen-office":
		return "office"
	case strings.HasPrefix(first, "export") || first == "print":
		return "export"
	case strings.HasPrefix(first, "lobby"):
		return "lobby"
	case strings.HasPrefix(first, "sign-") || first == "lockout":
		return "sign-in"
	}
	return strings.TrimSuffix(first, ":")
}

// auditWords says an action in words. The stored action stays as it was
// written (a short machine-readable phrase); only the page translates it.
func auditWords(action string) string {
	f := strings.Fields(action)
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	found := func(s string) string {
		if s == "found" {
			return "an appointment here today was found"
		}
		return "nothing found"
	}
	switch {
	case action == "check-in":
		return "Checked a resident in by code"
	case action == "check-in-by-phone":
		return "Checked a resident in by phone number"
	case arg(0) == "phone-lookup":
		return "Looked up a phone number at " + arg(1) + ": " + found(arg(2))
	case arg(0) == "walk-in-phone-lookup":
		return "Looked up a phone number for a walk-in at " + arg(1) + ": " + found(arg(2))
	case arg(0) == "phone-lookup-refused":
		return "Phone look-up refused at " + strings.TrimSuffix(arg(1), ":") + ": too many in a short time"
	case arg(0) == "call" && arg(1) == "desk":
		return "Called a resident to desk " + strings.Join(f[2:], " ")
	case action == "served":
		return "Marked a resident as served"
	case action == "no-show":
		return "Marked a no-show"
	case action == "undo-checked-in":
		return "Undid a check-in"
	case action == "undo-no-show":
		return "Undid a no-show"
	case strings.HasPrefix(action, "cancel:"):
		key := strings.TrimPrefix(action, "cancel:")
		if key == "office-closed" {
			return "Cancelled an appointment: the office closed that day"
		}
		for _, r := range cancelReasons {
			if r.Key == key {
				return "Cancelled an appointment: " + strings.ToLower(r.Label[:1]) + r.Label[1:]
			}
		}
		return "Cancelled an appointment (" + key + ")"
	case action == "walk-in":
		return "Booked a walk-in"
	case arg(0) == "close-office":
		return "Closed " + arg(1) + " on " + wordsOfISO(arg(2))
	case arg(0) == "reopen-office":
		return "Reopened " + arg(1) + " on " + wordsOfISO(arg(2))
	case arg(0) == "export-csv":
		return "Downloaded the day list of " + strings.ReplaceAll(arg(1), "all-offices", "all offices") + " on " + wordsOfISO(arg(2)) + " as CSV"
	case arg(0) == "print":
		return "Opened the print view of " + arg(1) + " on " + wordsOfISO(arg(2))
	case arg(0) == "export-report":
		return "Downloaded the report " + arg(1) + " to " + arg(2) + " as CSV"
	case arg(0) == "lobby-token":
		return "Made a waiting-room screen link for " + arg(1)
	case arg(0) == "lobby-revoke":
		return "Revoked the waiting-room screen link of " + arg(1)
	case action == "sign-in":
		return "Signed in"
	case action == "sign-out":
		return "Signed out"
	case strings.HasPrefix(action, "sign-in-failed:"):
		return "Sign-in failed:" + strings.TrimPrefix(action, "sign-in-failed:")
	case strings.HasPrefix(action, "sign-in-refused:"):
		return "Sign-in refused:" + strings.TrimPrefix(action, "sign-in-refused:")
	case strings.HasPrefix(action, "lockout:"):
		return "Locked out:" + strings.TrimPrefix(action, "lockout:")
	}
	return action
}

func wordsOfISO(s string) string {
	if d, err := scheduling.ParseDate(s); err == nil {
		return dateWords(d)
	}
	return s
}

type auditData struct {
	Entries []auditEntry
	Clerks  []string
	Kinds   []reason
	Clerk   string
	Kind    string
	Day     string // YYYY-MM-DD or ""
	Full    bool   // the page stopped at auditPageSize
}

func (s *server) auditPage(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	d := auditData{Kinds: auditKinds, Clerk: q.Get("clerk"), Kind: q.Get("action"), Day: q.Get("day")}
	var day scheduling.Date
	var flashes []flash
	if d.Day != "" {
		var err error
		if day, err = scheduling.ParseDate(d.Day); err != nil {
			flashes = append(flashes, flash{Error: true, Text: "The day must be YYYY-MM-DD; showing every day."})
			d.Day = ""
		}
	}
	clerks := map[string]bool{}
	err := s.Audit.EachAudit(func(at time.Time, clerk, action, code string) bool {
		clerks[clerk] = true
		if d.Full {
			return true // keep collecting clerk names for the filter
		}
		local := at.In(s.loc())
		if d.Clerk != "" && clerk != d.Clerk || d.Kind != "" && auditKind(action) != d.Kind ||
			d.Day != "" && scheduling.DateOf(local) != day {
			return true
		}
		d.Entries = append(d.Entries, auditEntry{dateWords(scheduling.DateOf(local)) + " " + local.Format("15:04:05"), clerk, action, auditWords(action), code})
		d.Full = len(d.Entries) == auditPageSize
		return true
	})
	if err != nil {
		s.internalError(w, r, "audit log", err)
		return
	}
	for c := range clerks {
		d.Clerks = append(d.Clerks, c)
	}
	slices.Sort(d.Clerks)
	s.render(w, r, http.StatusOK, "audit", p, pageData{Title: "Audit log", Flash: flashes, Data: d})
}
