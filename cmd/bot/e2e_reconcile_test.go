package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// startServe starts `bot serve` of e against the Twilio fake and returns
// its address and a stop function (SIGINT, wait) that returns its output.
func startServe(t *testing.T, e *env) (addr string, stop func() string) {
	t.Helper()
	addr = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv := exec.CommandContext(ctx, botBin, "serve", "--addr", addr)
	srv.Env = append(os.Environ(), e.vars...)
	var out bytes.Buffer
	srv.Stdout, srv.Stderr = &out, &out
	if err := srv.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := false
	stop = func() string {
		if !done {
			done = true
			_ = srv.Process.Signal(os.Interrupt)
			_ = srv.Wait()
			cancel()
			e.logs.Write(out.Bytes())
		}
		return out.String()
	}
	t.Cleanup(func() { stop() })
	waitHealthy(t, "http://"+addr)
	return addr, stop
}

// A cancel that never reached Twilio leaves the reminder scheduled there;
// the next start of bot serve cancels it, and so does `bot jobs run
// reconcile`. Scheduled messages without a code are left alone.
func TestReconcileEndToEnd(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	began := time.Now()
	fake := twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
	defer fake.Close()
	e := newEnv(t)
	e.vars = append(e.vars,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+fake.URL,
		"CITA_PUBLIC_URL="+smsPublicURL,
	)
	noCode := fake.Schedule("+13125550182", "Your library books are due on Friday.", twiliotest.ServiceSID, t0.Add(48*time.Hour))
	status := func(sid string) string {
		if m, ok := fake.Message(sid); ok {
			return m.Status
		}
		for _, m := range fake.Deleted() {
			if m.SID == sid {
				return "deleted while " + m.Status
			}
		}
		return "never there"
	}

	// Dee books with a reminder, then cancels; Twilio refuses the cancel.
	addr, stop := startServe(t, e)
	dee := &smsResident{t: t, base: "http://" + addr, number: "+13125550181", fake: fake}
	for _, step := range []string{"4", "1", "3", "1", "2", "1", "1", "1"} {
		if code, reply := dee.say(step); code != 200 || reply == "" {
			t.Fatalf("booking step %s: %d %q", step, code, reply)
		}
	}
	eventually(t, "Dee's reminder", func() bool { return len(fake.Scheduled(dee.number)) == 1 })
	reminder := fake.Scheduled(dee.number)[0].SID
	fake.Fail("POST", "/Messages/SM", 400, 1)
	for _, step := range []string{"5", "2", "1"} {
		if code, reply := dee.say(step); code != 200 || reply == "" {
			t.Fatalf("cancel step %s: %d %q", step, code, reply)
		}
	}
	eventually(t, "the refused cancel", func() bool { return fake.Count("POST", "/Messages/SM") == 1 })
	out := stop()
	if !strings.Contains(out, "twilio call failed") {
		t.Errorf("the failed cancel was not logged:\n%s", out)
	}
	if got := status(reminder); got != "scheduled" {
		t.Fatalf("after the refused cancel the reminder is %s, want still scheduled", got)
	}

	// The next start catches it.
	_, stop = startServe(t, e)
	eventually(t, "the reminder cancelled at start", func() bool { return status(reminder) == "deleted while canceled" })
	out = stop()
	if !strings.Contains(out, "twilio: reconcile reminders") || !strings.Contains(out, "cancelled=1") {
		t.Errorf("the start's reconciliation was not logged:\n%s", out)
	}

	// A reminder of a code the database never held (an appointment whose
	// day closed while its cancel was lost) goes by `bot jobs run`.
	left := fake.Schedule("+13125550183", "Reminder: CityKey appointment Wed 2 Dec at 9:00 AM, City Hall, 121 N LaSalle St. Code 9ZZ4RT. Bring your documents.",
		twiliotest.ServiceSID, t0.Add(48*time.Hour))
	out, code := e.run("", "jobs", "run", "reconcile")
	if code != 0 || !strings.Contains(out, "1 of gone appointments cancelled") {
		t.Errorf("jobs run reconcile: exit %d\n%s", code, out)
	}
	if got := status(left); got != "deleted while canceled" {
		t.Errorf("left-over reminder: %s, want deleted while canceled", got)
	}
	if got := status(noCode); got != "scheduled" {
		t.Errorf("a scheduled message without a code is %s, want left alone", got)
	}
	if out, code := e.run("", "jobs", "run", "reconcile", "--date", "2026-11-30"); code != 2 || !strings.Contains(out, "takes no --date") {
		t.Errorf("reconcile --date: exit %d\n%s", code, out)
	}
	noTwilio := newEnv(t)
	if out, code := noTwilio.run("", "jobs", "run", "reconcile"); code == 0 || !strings.Contains(out, "TWILIO_ACCOUNT_SID is not set") {
		t.Errorf("reconcile without Twilio: exit %d\n%s", code, out)
	}
	for _, s := range spellings("(312) 555-0181") {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("logs hold %q", s)
		}
	}
}

// SIGTERM does not wait for a reconciliation stuck at Twilio: the listing
// hangs well past the Twilio client's timeout (10 s), and serve exits
// within the 5 s the README promises.
func TestReconcileDoesNotHoldShutdown(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	fake := twiliotest.New(func() time.Time { return t0 })
	defer fake.Close()
	e := newEnv(t)
	e.vars = append(e.vars,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+fake.URL,
		"CITA_PUBLIC_URL="+smsPublicURL,
	)
	fake.Hang("GET", "/Messages.json", 30*time.Second, 1)
	_, stop := startServe(t, e)
	eventually(t, "the reconciliation's listing", func() bool { return fake.Count("GET", "/Messages.json") == 1 })
	began := time.Now()
	out := stop()
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("shutdown took %v with a reconciliation stuck at Twilio, want under 5 s\n%s", took, out)
	}
}
