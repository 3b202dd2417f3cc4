package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
)

// Telegram residents of the end-to-end test. Distinctive ids, so the
// privacy scan cannot hit them by chance.
const (
	tgAna   int64 = 581994417 // books with buttons, sends a photo
	tgBruno int64 = 581994418 // shares their phone, then books
)

// bruno's phone number as Telegram sends it in a contact.
const brunoPhone = "13125550177"

// serving is a running `bot serve`.
type serving struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	addr string
}

// serveWith starts `bot serve` with extra environment and waits until it
// is healthy.
func (e *env) serveWith(t *testing.T, vars ...string) *serving {
	t.Helper()
	s := &serving{addr: freeAddr(t)}
	s.cmd = exec.Command(botBin, "serve", "--addr", s.addr)
	s.cmd.Env = append(append(os.Environ(), e.vars...), vars...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	waitHealthy(t, "http://"+s.addr)
	return s
}

// stop interrupts the server, waits for it and keeps its output in e.logs.
func (e *env) stop(t *testing.T, s *serving) time.Duration {
	t.Helper()
	start := time.Now()
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v:\n%s", err, s.out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop:\n%s", s.out.String())
	}
	e.logs.Write(s.out.Bytes())
	return time.Since(start)
}

// resident drives one Telegram user against the fake.
type resident struct {
	t    *testing.T
	api  *telegramtest.Server
	id   int64
	lang string
}

// keyboard waits for the newest bot message with buttons newer than after.
func (r *resident) keyboard(after int) telegramtest.Message {
	r.t.Helper()
	var found telegramtest.Message
	ok := r.api.WaitFor(20*time.Second, func() bool {
		for _, m := range r.api.Messages(r.id) {
			if m.FromBot && m.ID > after && len(m.Buttons) > 0 {
				found = m
			}
		}
		return found.ID != 0
	})
	if !ok {
		r.t.Fatalf("no new buttons after message %d; chat: %+v", after, r.api.Messages(r.id))
	}
	return found
}

// press presses the button labelled label (the first one if label is
// empty) on msg.
func (r *resident) press(msg telegramtest.Message, label string) {
	r.t.Helper()
	for _, row := range msg.Buttons {
		for _, b := range row {
			if label == "" || b.Text == label {
				r.api.Enqueue(r.api.Press(r.id, r.id, r.lang, msg.ID, b.Data))
				return
			}
		}
	}
	r.t.Fatalf("no button %q on %q: %+v", label, msg.Text, msg.Buttons)
}

// book presses through the booking: the menu's book button, the party
// size, then "Book it" for the earliest time, as the SMS test types 4 1 1.
// It returns the calendar file received.
func (r *resident) book(party string) (*ics.Calendar, []byte) {
	r.t.Helper()
	r.api.Enqueue(r.api.Text(r.id, r.id, r.lang, "/start"))
	msg := r.keyboard(0)
	r.press(msg, "Book an appointment")
	msg = r.keyboard(msg.ID)
	r.press(msg, party)
	msg = r.keyboard(msg.ID)
	r.press(msg, "Book it")
	var doc telegramtest.Message
	if !r.api.WaitFor(20*time.Second, func() bool {
		for _, m := range r.api.Messages(r.id) {
			if m.Kind == "document" {
				doc = m
			}
		}
		return doc.ID != 0
	}) {
		r.t.Fatalf("no calendar file; chat: %+v", r.api.Messages(r.id))
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(doc.Document))
	if err != nil {
		r.t.Fatalf("parse %s: %v\n%s", doc.FileName, err, doc.Document)
	}
	return cal, doc.Document
}

func TestTelegramEndToEnd(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	e := newEnv(t)
	e.vars = append(e.vars, "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+api.Endpoint())

	srv := e.serveWith(t)
	if !api.WaitFor(15*time.Second, func() bool { return len(api.Requests("getMe")) > 0 }) {
		_ = srv.cmd.Process.Kill()
		_ = srv.cmd.Wait()
		t.Fatal("bot serve did not start the Telegram channel: no getMe within 15 s")
	}
	ana := &resident{t: t, api: api, id: tgAna, lang: "en"}
	cal, file := ana.book("3") // a family of three

	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events in the calendar file, want 1:\n%s", len(events), file)
	}
	ev := events[0]
	start, err := ev.GetStartAt()
	if err != nil {
		t.Fatalf("DTSTART: %v\n%s", err, file)
	}
	if tz := ev.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tz) != 1 || tz[0] != "America/Chicago" {
		t.Errorf("DTSTART TZID %v, want America/Chicago:\n%s", tz, file)
	}
	if loc := ev.GetProperty(ics.ComponentPropertyLocation).Value; !strings.Contains(loc, "121 N LaSalle St") {
		t.Errorf("LOCATION %q lacks the office address", loc)
	}
	if desc := ev.GetProperty(ics.ComponentPropertyDescription).Value; !strings.Contains(desc, "For 3 people") {
		t.Errorf("DESCRIPTION %q does not say the family is three", desc)
	}
	if len(ev.Alarms()) != 1 {
		t.Errorf("%d alarms, want 1", len(ev.Alarms()))
	}
	code := uidCode(cal)

	// A photo is deleted unopened and answered.
	api.Enqueue(api.Photo(tgAna, tgAna, "en"))
	if !api.WaitFor(10*time.Second, func() bool {
		msgs := api.Messages(tgAna)
		for i, m := range msgs {
			if m.Kind == "photo" {
				return m.Deleted && i+1 < len(msgs) && strings.Contains(msgs[len(msgs)-1].Text, "in person")
			}
		}
		return false
	}) {
		t.Errorf("photo not deleted and answered: %+v", api.Messages(tgAna))
	}
	if n := len(api.Requests("getFile")); n != 0 {
		t.Errorf("the bot asked for a file %d times", n)
	}

	// A forced 429 is waited out and the message still arrives.
	api.ForceTooMany(1, 1)
	bruno := &resident{t: t, api: api, id: tgBruno, lang: "en"}
	api.Enqueue(api.Contact(tgBruno, tgBruno, tgBruno, "en", brunoPhone))
	if !api.WaitFor(10*time.Second, func() bool {
		for _, m := range api.Messages(tgBruno) {
			if m.FromBot && strings.HasPrefix(m.Text, "Shared") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no answer to the contact: %+v", api.Messages(tgBruno))
	}
	if api.Forced() != 1 {
		t.Errorf("forced 429s answered: %d, want 1", api.Forced())
	}
	brunoCal, _ := bruno.book("1")
	brunoCode := uidCode(brunoCal)
	if limited := api.Limited(); limited != 0 {
		t.Errorf("the fake answered %d 429s for exceeding its limits", limited)
	}

	if took := e.stop(t, srv); took > 5*time.Second {
		t.Errorf("serve took %v to stop", took)
	}

	// The appointments are in the day lists; bruno's is found by phone, as
	// on SMS.
	day := start.Format(time.DateOnly)
	if codes := e.dayCodes(day); !containsString(codes, code) {
		t.Errorf("list of %s %v lacks ana's %s", day, codes, code)
	}
	out, exit := e.run("5\n", "chat", "--as", "+1 312 555 0177")
	if exit != 0 || brunoCode == "" || !strings.Contains(out, brunoCode) {
		t.Errorf("chat --as bruno's number (exit %d) does not show %q:\n%s", exit, brunoCode, out)
	}

	// Webhook mode: the webhook is registered with the secret, and only
	// deliveries bearing it are handled.
	const secret = "e2e-webhook_secret"
	srv = e.serveWith(t, "TELEGRAM_WEBHOOK_SECRET="+secret, "CITA_TELEGRAM_WEBHOOK_URL=https://cita.example/webhooks/telegram")
	if url, got := api.Webhook(); url != "https://cita.example/webhooks/telegram" || got != secret {
		t.Errorf("webhook registered as %q with secret %q", url, got)
	}
	const carla int64 = 581994419
	for _, tc := range []struct {
		name   string
		secret string
		status int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong", "e2e-webhook_secreT", http.StatusUnauthorized},
		{"right", secret, http.StatusOK},
	} {
		t.Run("webhook "+tc.name, func(t *testing.T) {
			body, _ := api.Marshal(api.Text(carla, carla, "es", "/start"))
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+srv.addr+"/webhooks/telegram", bytes.NewReader(body))
			if tc.secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tc.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if !api.WaitFor(10*time.Second, func() bool { _, ok := api.Last(carla); return ok }) {
		t.Errorf("no reply to the webhook update")
	}
	if n := len(botReplies(api, carla)); n > 2 {
		t.Errorf("%d replies to one accepted update, want the answer and the share offer", n)
	}
	e.stop(t, srv)

	// Privacy: no user id, chat id, number or token in the database or the
	// output of any run.
	db, err := os.ReadFile(filepath.Join(e.data, dbName))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{telegramtest.Token, secret}
	for _, id := range []int64{tgAna, tgBruno, carla} {
		secrets = append(secrets, strconv.FormatInt(id, 10))
	}
	secrets = append(secrets, spellings("(312) 555-0177")...)
	for _, s := range secrets {
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("database file holds %q", s)
		}
		if bytes.Contains(e.logs.Bytes(), []byte(s)) {
			t.Errorf("output holds %q", s)
		}
	}
}

// uidCode is the confirmation code in the calendar event's UID (CODE@cita).
func uidCode(cal *ics.Calendar) string {
	for _, ev := range cal.Events() {
		if uid := ev.GetProperty(ics.ComponentPropertyUniqueId); uid != nil {
			return codeRE.FindString(uid.Value)
		}
	}
	return ""
}

func botReplies(api *telegramtest.Server, chat int64) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range api.Messages(chat) {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestTelegramStopsWithHangingAPI: with every Bot API call hanging, an
// interrupt still ends bot serve within the 5 s the README promises, and
// the replies left unsent are logged as a count (issue 12).
func TestTelegramStopsWithHangingAPI(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	e := newEnv(t)
	e.vars = append(e.vars, "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+api.Endpoint())
	srv := e.serveWith(t)
	if !api.WaitFor(10*time.Second, func() bool { return len(api.Requests("deleteWebhook")) > 0 }) {
		t.Fatal("the Telegram channel did not start polling")
	}
	api.Hang(1000, time.Minute, false)
	api.Enqueue(api.Text(tgAna, tgAna, "en", "/start"))
	if !api.WaitFor(20*time.Second, func() bool { return len(api.Requests("sendMessage")) > 0 }) {
		t.Fatal("no reply was attempted")
	}
	took := e.stop(t, srv)
	if took > 5*time.Second {
		t.Errorf("serve took %v to stop with the Bot API hanging, want <= 5 s", took)
	}
	t.Logf("stopped in %v", took.Round(time.Millisecond))
	if !strings.Contains(srv.out.String(), "telegram: work left undone at shutdown") {
		t.Errorf("the replies left unsent are not counted in the log:\n%s", srv.out.String())
	}
	if strings.Contains(srv.out.String(), strconv.FormatInt(tgAna, 10)) {
		t.Errorf("the log names the chat:\n%s", srv.out.String())
	}
}

// TestTelegramReplayAfterRestart: an update delivered to the webhook, then
// replayed to the next process, acts once: the dedupe marks are in the
// database (issue 13).
func TestTelegramReplayAfterRestart(t *testing.T) {
	api := telegramtest.NewServer()
	defer api.Close()
	e := newEnv(t)
	const secret = "e2e-webhook_secret"
	e.vars = append(e.vars, "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+api.Endpoint(),
		"TELEGRAM_WEBHOOK_SECRET="+secret, "CITA_TELEGRAM_WEBHOOK_URL=https://cita.example/webhooks/telegram")
	post := func(s *serving, body []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+s.addr+"/webhooks/telegram", bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook answered %d", resp.StatusCode)
		}
	}
	start, _ := api.Marshal(api.Text(tgAna, tgAna, "en", "/start"))
	srv := e.serveWith(t)
	post(srv, start)
	first := (&resident{t: t, api: api, id: tgAna, lang: "en"}).keyboard(0)
	e.stop(t, srv)

	srv = e.serveWith(t)
	post(srv, start)
	// A photo after it, from the same chat, is handled after it: once the
	// photo is answered, the replay has been dealt with.
	photo, _ := api.Marshal(api.Photo(tgAna, tgAna, "en"))
	post(srv, photo)
	if !api.WaitFor(20*time.Second, func() bool {
		last, ok := api.Last(tgAna)
		return ok && strings.Contains(last.Text, "in person")
	}) {
		t.Fatalf("the photo was not answered: %+v", api.Messages(tgAna))
	}
	for _, m := range botReplies(api, tgAna) {
		if m.ID > first.ID && len(m.Buttons) > 0 {
			t.Errorf("the replayed /start was answered again after the restart: %q", m.Text)
		}
	}
	e.stop(t, srv)
}
