package clerk_test

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/cita-city/cita/scheduling"
)

// chromiumPath is Debian's chromium, which CI installs (apt-get install -y
// chromium). CITA_CHROMIUM overrides it.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless chromium and returns a tab. A missing browser
// fails the test: a skipped browser test is not a pass.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CITA_CHROMIUM")
	if path == "" {
		path = chromiumPath
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("browser tests need chromium at %s: install Debian's package \"chromium\" (apt-get install -y chromium) or set CITA_CHROMIUM", path)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, on a context without a deadline (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions with a deadline, failing the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// waitText returns the text of sel once it contains want, or what it last
// read after 15 s. After a click that reloads the page, the old page's
// element may still be there (the previous flash): waiting for it to be
// visible is not waiting for the new page.
func waitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			got = s
			if strings.Contains(got, want) {
				break
			}
		}
	}
	return got
}

func signIn(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	step(t, ctx, "sign in as "+name,
		chromedp.Navigate(base+"/clerk/login"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("show")),
	)
}

// TestBrowser runs a clerk's day in chromium against the real handler and
// real storage: sign in, today's list, check-in by code and by phone, a
// walk-in, the CSV download, then a manager closing tomorrow.
func TestBrowser(t *testing.T) {
	f := newFixture(t)
	byCode := f.book("+13125550150", 9, 30)
	byPhone := f.book("+13125550151", 10, 0)
	later := f.book("+13125550152", 15, 45)
	elsewhere := f.bookAt("+13125550154", "northwest", scheduling.DateOf(t0), 11, 0)
	tomorrow := scheduling.DateOf(t0).AddDays(1)
	ids, _ := f.hasher.Identities("+13125550153", t0)
	if _, err := f.bookings.Book(ids[0], "en", office, tomorrow.In(f.program.Location, 9, 0), 1, t0); err != nil {
		t.Fatal(err)
	}
	base := f.server.URL
	ctx := newBrowser(t)

	signIn(t, ctx, base, "ana")
	if row := text(t, ctx, "#appt-"+byCode.Code); !strings.Contains(row, byCode.Code) || !strings.Contains(row, "booked") {
		t.Fatalf("today's list row: %q", row)
	}

	step(t, ctx, "check in by code",
		chromedp.SendKeys(chromedp.ID("code"), strings.ToLower(byCode.Code)),
		chromedp.Click(chromedp.ID("checkin-code")),
	)
	if got := waitText(t, ctx, ".flash", "Checked in "+byCode.Code); !strings.Contains(got, "Checked in "+byCode.Code) {
		t.Fatalf("after check-in by code: %q", got)
	}
	if got := text(t, ctx, "#appt-"+byCode.Code+" .status"); got != "checked-in" {
		t.Fatalf("status after check-in by code: %q", got)
	}

	step(t, ctx, "check in by phone",
		chromedp.SendKeys(chromedp.ID("phone"), "(312) 555-0151"),
		chromedp.Click(chromedp.ID("checkin-phone")),
	)
	if got := waitText(t, ctx, ".flash", "Checked in "+byPhone.Code); !strings.Contains(got, "Checked in "+byPhone.Code) {
		t.Fatalf("after check-in by phone: %q", got)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("phone"))); v != "" {
		t.Fatalf("phone field kept %q", v)
	}

	// A number booked at another office: this counter says only that it
	// has no appointment for it.
	step(t, ctx, "look up a number booked elsewhere",
		chromedp.SendKeys(chromedp.ID("phone"), "312 555 0154"),
		chromedp.Click(chromedp.ID("checkin-phone")),
	)
	if got := waitText(t, ctx, ".flash", "This counter has no appointment"); !strings.Contains(got, "This counter has no appointment for that phone number today.") ||
		strings.Contains(got, elsewhere.Code) || strings.Contains(got, "Northwest") || strings.Contains(got, "11:00") {
		t.Fatalf("after looking up a number booked elsewhere: %q", got)
	}
	if page := text(t, ctx, "main"); strings.Contains(page, elsewhere.Code) {
		t.Fatalf("the page shows %s, booked at another office", elsewhere.Code)
	}

	step(t, ctx, "book a walk-in",
		chromedp.Navigate(base+"/clerk/walkin?office="+office),
		chromedp.Click(chromedp.ID("slot-1100")),
		chromedp.SetValue(chromedp.ID("lang"), "es"),
		chromedp.Click(chromedp.ID("book")),
		chromedp.WaitVisible(chromedp.ID("new-code")),
	)
	walkIn := text(t, ctx, "#new-code")
	if a, err := f.store.ByCode(walkIn); err != nil || a.Start.In(f.program.Location).Format("15:04") != "11:00" || a.Lang != "es" {
		t.Fatalf("walk-in %q stored as %+v, %v", walkIn, a, err)
	}
	if row := text(t, ctx, "#appt-"+walkIn); !strings.Contains(row, "11:00") {
		t.Fatalf("walk-in row: %q", row)
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	artifacts := filepath.Join("testdata", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, "day-list.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the day list: %s", filepath.Join(artifacts, "day-list.png"))

	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	step(t, ctx, "download the CSV", chromedp.Click(chromedp.ID("csv-link")))
	csvPath := filepath.Join(downloads, "cita-"+scheduling.DateOf(t0).String()+"-"+office+".csv")
	var data []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		if data, err = os.ReadFile(csvPath); err == nil && len(data) > 0 {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("no CSV downloaded to %s (found %v)", csvPath, entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil || len(rows) != 5 || strings.Join(rows[0], ",") != "date,time,office,code,language,status,people" {
		t.Fatalf("CSV: %v\n%s", err, data)
	}
	want := map[string]string{byCode.Code: "checked-in", byPhone.Code: "checked-in", later.Code: "booked", walkIn: "booked"}
	for _, r := range rows[1:] {
		if want[r[3]] != r[5] {
			t.Errorf("CSV row %v: want status %q", r, want[r[3]])
		}
	}

	step(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("signin")))
	signIn(t, ctx, base, "max")
	step(t, ctx, "close tomorrow as manager",
		chromedp.Navigate(base+"/clerk/close?office="+office+"&date="+tomorrow.String()),
		chromedp.WaitVisible(chromedp.ID("affected")),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.Click(chromedp.ID("close-day")),
		chromedp.WaitVisible(chromedp.ID("closed")),
	)
	if got := text(t, ctx, "main"); !strings.Contains(got, "1 appointment was cancelled.") || !strings.Contains(got, "Note: 1 resident could not be told") {
		t.Fatalf("after closing: %q", got)
	}
	if closed, _ := f.store.Closed(office, tomorrow); !closed {
		t.Fatal("closure not stored")
	}
	step(t, ctx, "capacity chart", chromedp.Navigate(base+"/clerk/capacity"), chromedp.WaitVisible(chromedp.CSS("svg.capacity")))
	if shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, "capacity.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
