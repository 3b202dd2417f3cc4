package clerk_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

// TestWalkInParty: a clerk books a walk-in for a parent and two children
// under one code; a party larger than max_party, or than the seats left,
// is refused with a message and nothing booked. The walk-in counter counts
// the three people.
func TestWalkInParty(t *testing.T) {
	f := newFixture(t)
	c := f.signedIn("ana")
	at := scheduling.DateOf(t0).In(f.program.Location, 11, 0)
	walkIn := func(people string) string {
		return c.postFollow("/clerk/walkin", url.Values{"office": {office}, "date": {scheduling.DateOf(t0).String()},
			"start": {strconv.FormatInt(at.Unix(), 10)}, "lang": {"es"}, "people": {people}}).body
	}
	for _, tt := range []struct{ name, people, want string }{
		{"above max_party", "6", "A booking covers 1 to 5 people."},
		{"not a number", "tres", "A booking covers 1 to 5 people."},
		{"more than the seats", "5", "not enough free seats"}, // City Hall has 4 desks
	} {
		if got := flashes(walkIn(tt.people)); !strings.Contains(got, tt.want) {
			t.Errorf("%s: flash %q, want %q", tt.name, got, tt.want)
		}
	}
	body := walkIn("3")
	i := strings.Index(body, `id="new-code">`)
	if i < 0 {
		t.Fatalf("walk-in of three not booked:\n%s", flashes(body))
	}
	code := body[i+len(`id="new-code">`):][:6]
	a, err := f.store.ByCode(code)
	if err != nil || a.Party != 3 {
		t.Fatalf("walk-in stored as %+v, %v; want a party of 3", a, err)
	}
	list, err := f.store.Between(office, at, at.Add(1))
	if err != nil || len(list) != 1 {
		t.Fatalf("the refused walk-ins booked something: %d at 11:00, %v", len(list), err)
	}
	counts, err := f.store.Counters()
	if err != nil || len(counts) != 1 || counts[0].WalkIns != 3 {
		t.Fatalf("walk-in counters %+v, %v; want 3 people", counts, err)
	}
}
