package clerk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cita-city/cita/scheduling"
)

// TestBrowserParty: a family of three booked under one code shows its size
// on the day list, is checked in once with the count of who came (two of
// three), and the list and the stored record say so; the print view has
// the size too.
func TestBrowserParty(t *testing.T) {
	f := newFixture(t)
	ids, err := f.hasher.Identities("+13125550156", t0)
	if err != nil {
		t.Fatal(err)
	}
	start := scheduling.DateOf(t0).In(f.program.Location, 9, 45)
	fam, err := f.bookings.Book(ids[0], "es", office, start, 3, t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	base := f.server.URL
	ctx := newBrowser(t)
	signIn(t, ctx, base, "ana")

	row := "#appt-" + fam.Code
	if got := text(t, ctx, row+" .people"); got != "3" {
		t.Fatalf("people on the day list: %q, want 3", got)
	}
	// The row's check-in carries the count, all three by default: two came.
	step(t, ctx, "check in two of three",
		chromedp.SetValue(chromedp.ID("came-"+fam.Code), "2"),
		chromedp.Click(chromedp.CSS(row+" button.checkin")),
	)
	if got := waitText(t, ctx, ".flash", "Checked in "+fam.Code); !strings.Contains(got, "2 of 3 people") {
		t.Fatalf("after checking in the family: %q", got)
	}
	if got := waitText(t, ctx, row+" .people", "2 of 3"); got != "2 of 3" {
		t.Fatalf("people after check-in: %q, want 2 of 3", got)
	}
	if got := text(t, ctx, row+" .status"); got != "checked-in" {
		t.Fatalf("status: %q", got)
	}
	// Checked in once: no second check-in button on the row.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+row+` button.checkin").length`)); err != nil || n != 0 {
		t.Fatalf("check-in buttons left on the row: %d, %v", n, err)
	}
	a, err := f.store.ByCode(fam.Code)
	if err != nil || a.Status != scheduling.StatusCheckedIn || a.Party != 3 || a.Arrived != 2 {
		t.Fatalf("stored %+v, %v; want checked in, 2 of 3", a, err)
	}
	// Typing the code again does not check the family in twice.
	step(t, ctx, "check in the same code again",
		chromedp.SendKeys(chromedp.ID("code"), fam.Code),
		chromedp.Click(chromedp.ID("checkin-code")),
	)
	if got := waitText(t, ctx, ".flash", "already checked in"); !strings.Contains(got, "already checked in") {
		t.Fatalf("second check-in: %q", got)
	}
	if a, _ := f.store.ByCode(fam.Code); a.Arrived != 2 {
		t.Fatalf("after a second check-in: %d arrived, want 2", a.Arrived)
	}

	step(t, ctx, "print view", chromedp.Navigate(base+"/clerk/print?office="+office+"&date="+scheduling.DateOf(t0).String()))
	if got := text(t, ctx, "table.printlist"); !strings.Contains(got, fam.Code) || !strings.Contains(got, "2 of 3") {
		t.Fatalf("print view: %q", got)
	}
}
