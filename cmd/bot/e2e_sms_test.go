package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

const (
	smsPublicURL = "https://cita.example.gov"
	smsCity      = "+13125550100"
)

// smsResident is a phone talking to `bot serve` through signed webhooks.
type smsResident struct {
	t      *testing.T
	base   string // the server
	number string // E.164
	seq    int
	// fake, when set, is the Twilio fake the server sends through: a first
	// message is acknowledged with empty TwiML and its reply comes through
	// the REST API, and say waits for it there.
	fake *twiliotest.Server
	// prefix and path make it a WhatsApp user: "whatsapp:" before the
	// numbers, whatsapp.Path for the webhook (empty: SMS).
	prefix, path string
}

// addr is the resident's number as Twilio writes it on their channel.
func (r *smsResident) addr() string { return r.prefix + r.number }

// form is a webhook of text from the resident with MessageSid sid.
func (r *smsResident) form(text, sid string) url.Values {
	f := smsForm(r.addr(), text, sid)
	f.Set("To", r.prefix+smsCity)
	return f
}

// say posts text as Twilio would, with a fresh MessageSid, and returns the
// HTTP status and the reply text ("" for no <Message>), from the TwiML or,
// when the webhook only acknowledged it, from the message sent through the
// Twilio fake.
func (r *smsResident) say(text string) (int, string) {
	r.t.Helper()
	r.seq++
	before := 0
	if r.fake != nil {
		before = len(r.fake.SentTo(r.addr()))
	}
	status, reply := r.post(r.form(text, fmt.Sprintf("SM%s%022d", r.number[2:], r.seq)), "")
	if status == http.StatusOK && reply == "" && r.fake != nil && !optOut(text) {
		if sent := r.fake.WaitSent(r.addr(), before+1, 20*time.Second); len(sent) > before {
			reply = sent[before].Body
		}
	}
	return status, reply
}

// scheduledCreates counts the messages created with a schedule
// (reminders), not the replies sent through the REST API.
func scheduledCreates(fake *twiliotest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/Messages.json") && r.Form.Get("ScheduleType") != "" {
			n++
		}
	}
	return n
}

// sideEffects returns the fake's requests other than replies sent now (a
// POST of a message without a schedule): what a webhook made happen
// besides answering.
func sideEffects(fake *twiliotest.Server) []twiliotest.Request {
	var out []twiliotest.Request
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/Messages.json") && r.Form.Get("ScheduleType") == "" {
			continue
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/Messages.json") {
			continue // the reconcile job's listing at start: it changes nothing
		}
		out = append(out, r)
	}
	return out
}

// optOut reports whether text is a carrier opt-out keyword, answered with
// nothing at all.
func optOut(text string) bool {
	switch strings.ToUpper(strings.TrimSpace(text)) {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT":
		return true
	}
	return false
}

func smsForm(from, text, sid string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {twiliotest.AccountSID},
		"MessagingServiceSid": {twiliotest.ServiceSID}, "From": {from}, "To": {smsCity},
		"Body": {text}, "NumMedia": {"0"}, "FromCountry": {"US"},
	}
}

// post sends form signed over the public URL (or with sig when not empty).
func (r *smsResident) post(form url.Values, sig string) (int, string) {
	r.t.Helper()
	path := r.path
	if path == "" {
		path = sms.Path
	}
	if sig == "" {
		sig = twiliotest.Sign(twiliotest.AuthToken, smsPublicURL+path, form)
	}
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("webhook: %v", err)
	}
	defer resp.Body.Close()
	if d := time.Since(start); d > 5*time.Second {
		r.t.Errorf("webhook took %v", d)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, string(body)
	}
	var doc struct {
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		r.t.Fatalf("reply is not TwiML: %v\n%s", err, body)
	}
	return resp.StatusCode, strings.Join(doc.Messages, "\n---\n")
}

// sendPicture posts a message of n pictures, as Twilio would after
// receiving it at at, and checks that the reply says want (come in person),
// that the message is deleted at the fake with its media, and that no
// picture was ever fetched. It returns the message's SID.
func (r *smsResident) sendPicture(n int, want string, at time.Time) string {
	r.t.Helper()
	sid := r.fake.Receive(r.addr(), r.prefix+smsCity, "", n, at)
	form := r.form("", sid)
	form.Set("NumMedia", strconv.Itoa(n))
	form.Set("MediaUrl0", r.fake.URL+"/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages/"+sid+"/Media/ME1")
	form.Set("MediaContentType0", "image/jpeg")
	if _, reply := r.post(form, ""); !strings.Contains(reply, want) {
		r.t.Errorf("reply to pictures %q does not say %q", reply, want)
	}
	eventually(r.t, "the pictures deleted", func() bool { _, ok := r.fake.Message(sid); return !ok })
	for _, m := range r.fake.Deleted() {
		if m.SID == sid && len(m.Media) != 0 {
			r.t.Errorf("message deleted with %d media left", len(m.Media))
		}
	}
	if n := r.fake.MediaFetched(); n != 0 {
		r.t.Errorf("media downloaded %d times", n)
	}
	return sid
}

// eventually polls cond (the bot's Twilio calls run in the background).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSMSEndToEnd(t *testing.T) {
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
	if out, exit := e.run(strings.Repeat("x", 20)+"\n", "clerk", "add", "max", "--role", "manager"); exit != 0 {
		t.Fatalf("clerk add: exit %d\n%s", exit, out)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, botBin, "serve", "--addr", addr)
	srv.Env = append(os.Environ(), e.vars...)
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = srv.Process.Signal(os.Interrupt)
			_ = srv.Wait()
			e.logs.Write(srvOut.Bytes())
		}
	}
	defer stop()
	waitHealthy(t, "http://"+addr)

	const national = "(312) 555-0171"
	ana := &smsResident{t: t, fake: fake, base: "http://" + addr, number: "+13125550171"}

	// Book Tuesday 1 December, 9:00 at City Hall, with a reminder: one
	// person, not the earliest time but another office, City Hall, the day,
	// the time, then yes.
	for _, step := range []string{"4", "1", "3", "1", "2", "1"} {
		if status, reply := ana.say(step); status != 200 || reply == "" {
			t.Fatalf("booking step %s: %d %q", step, status, reply)
		}
	}
	_, booked := ana.say("1")
	code := codeRE.FindString(booked)
	if code == "" || !strings.Contains(booked, "reminder") {
		t.Fatalf("booking reply lacks a code or the reminder question:\n%s", booked)
	}
	// Twilio delivers the "yes" twice (a retry): one reminder, one reply.
	yes := smsForm(ana.number, "1", "SM00000000000000000000000000000yes")
	if _, reply := ana.post(yes, ""); !strings.Contains(reply, "remind") {
		t.Errorf("reminder answer: %q", reply)
	}
	if status, reply := ana.post(yes, ""); status != 200 || reply != "" {
		t.Errorf("duplicate delivery answered %d %q, want 200 and nothing", status, reply)
	}
	eventually(t, "the reminder", func() bool { return len(fake.Scheduled(ana.number)) == 1 })
	first := fake.Scheduled(ana.number)[0]
	if !strings.Contains(first.Body, code) || !strings.Contains(first.Body, "City Hall") || first.Service != twiliotest.ServiceSID {
		t.Errorf("reminder %+v: want the code %s, the office and the Messaging Service", first, code)
	}
	if want := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC); !first.SendAt.Equal(want) {
		t.Errorf("reminder at %v, want %v (24h before 9:00 CST)", first.SendAt, want)
	}
	time.Sleep(200 * time.Millisecond)
	if n := scheduledCreates(fake); n != 1 {
		t.Errorf("%d reminders created, want 1 despite the duplicate", n)
	}

	// Reschedule to Wednesday 2 December, 9:00: the old reminder cancelled,
	// a new one made.
	lists := fake.Count("GET", "/Messages.json")
	for _, step := range []string{"5", "1", "1", "3", "1", "3", "1"} {
		if status, reply := ana.say(step); status != 200 || reply == "" {
			t.Fatalf("reschedule step %s: %d %q", step, status, reply)
		}
	}
	if _, moved := ana.say("1"); !strings.Contains(moved, code) {
		t.Fatalf("reschedule reply lacks the code %s:\n%s", code, moved)
	}
	ana.say("1") // yes, remind me
	// Two jobs run in turn: the move (list, cancel the first reminder,
	// make a second) and the "yes" (list, find the second already there,
	// keep it). Between them the state already looks final, so wait for
	// the second listing: only then has every call of these steps reached
	// the fake.
	eventually(t, "the moved reminder", func() bool {
		m, _ := fake.Message(first.SID)
		s := fake.Scheduled(ana.number)
		return fake.Count("GET", "/Messages.json") >= lists+2 && m.Status == "canceled" && len(s) == 1 && s[0].SID != first.SID
	})
	if n := scheduledCreates(fake); n != 2 {
		t.Errorf("%d reminders created, want 2 (the first, the moved one)", n)
	}
	if got := fake.Scheduled(ana.number)[0].SendAt; !got.Equal(time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("moved reminder at %v, want 2026-12-01 15:00 UTC", got)
	}

	// Without TWILIO_WHATSAPP_FROM there is no WhatsApp endpoint.
	resp, err := http.Post("http://"+addr+"/webhooks/twilio/whatsapp", "application/x-www-form-urlencoded", strings.NewReader("Body=hi"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("WhatsApp webhook with WhatsApp off: %d, want 404", resp.StatusCode)
	}

	// A forged STOP changes nothing.
	forged := smsForm(ana.number, "STOP", "SM0000000000000000000000000000forged")
	before := len(fake.Requests())
	if status, _ := ana.post(forged, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="); status != http.StatusForbidden {
		t.Errorf("forged signature: %d, want 403", status)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(fake.Requests()); n != before || len(fake.Scheduled(ana.number)) != 1 {
		t.Errorf("forged request caused %d Twilio calls", n-before)
	}

	// STOP: no reply, the reminder cancelled.
	if status, reply := ana.say("STOP"); status != 200 || reply != "" {
		t.Errorf("STOP answered %d %q, want 200 and nothing", status, reply)
	}
	eventually(t, "the reminder cancelled on STOP", func() bool { return len(fake.Scheduled(ana.number)) == 0 })

	// A manager closes the day of Cleo's appointment: her reminder is
	// cancelled at Twilio and she is told, in Spanish, the language she
	// booked in.
	cleo := &smsResident{t: t, fake: fake, base: "http://" + addr, number: "+13125550173"}
	for _, step := range []string{"6", "2", "4", "1", "3", "1", "2", "1", "1"} {
		if status, reply := cleo.say(step); status != 200 || reply == "" {
			t.Fatalf("Cleo's booking step %s: %d %q", step, status, reply)
		}
	}
	cleo.say("1") // sí, recuérdeme
	eventually(t, "Cleo's reminder", func() bool { return len(fake.Scheduled(cleo.number)) == 1 })
	reminder := fake.Scheduled(cleo.number)[0]
	cleoCode := codeRE.FindString(reminder.Body)
	chicago, _ := time.LoadLocation("America/Chicago")
	day := reminder.SendAt.Add(24 * time.Hour).In(chicago).Format(time.DateOnly)
	flash := closeDay(t, "http://"+addr, "city-hall", day)
	if !strings.Contains(flash, "1 resident was told by text message") {
		t.Errorf("closing %s: flash %q, want one resident told", day, flash)
	}
	if m, _ := fake.Message(reminder.SID); m.Status != "canceled" {
		t.Errorf("Cleo's reminder is %q after the closure, want canceled", m.Status)
	}
	var notice string
	for _, m := range fake.Messages() {
		if m.To == cleo.number && m.Status == "delivered" {
			notice = m.Body
		}
	}
	if cleoCode == "" || !strings.Contains(notice, cleoCode) || !strings.Contains(notice, "cierra") {
		t.Errorf("closure notice to Cleo %q: want it in Spanish with her code %q", notice, cleoCode)
	}
	if _, reply := cleo.say("4"); !strings.Contains(reply, "1 2 3 4 5") {
		t.Fatalf("Cleo cannot book again: %q", reply)
	}

	// MMS: never downloaded, deleted with its media, told to come in person.
	ben := &smsResident{t: t, fake: fake, base: "http://" + addr, number: "+13125550172"}
	mms := ben.sendPicture(2, "in person", t0)
	stop()

	// Redaction: old messages go, recent ones and pending reminders stay.
	old := fake.Receive(ana.number, smsCity, "4", 0, t0.Add(-3*time.Hour))
	oldOut := fake.Sent(smsCity, ana.number, "Booked!", t0.Add(-2*time.Hour))
	recent := fake.Receive(ben.number, smsCity, "hi", 0, t0.Add(-10*time.Minute))
	out, exit := e.run("", "jobs", "run", "redact")
	if exit != 0 {
		t.Fatalf("jobs run redact: exit %d\n%s", exit, out)
	}
	for _, sid := range []string{old, oldOut} {
		if _, ok := fake.Message(sid); ok {
			t.Errorf("redact left an old message:\n%s", out)
		}
	}
	if _, ok := fake.Message(recent); !ok {
		t.Errorf("redact deleted a recent message")
	}
	if out, exit := e.run("", "jobs", "run", "sweep-the-floor"); exit == 0 || !strings.Contains(out, "unknown job") {
		t.Errorf("unknown job: exit %d: %s", exit, out)
	}

	// Privacy: no number, in any spelling, in the database or any log.
	db, err := os.ReadFile(filepath.Join(e.data, dbName))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{national, "(312) 555-0172", "(312) 555-0173"} {
		for _, s := range spellings(n) {
			if bytes.Contains(db, []byte(s)) {
				t.Errorf("database holds %q", s)
			}
			if bytes.Contains(e.logs.Bytes(), []byte(s)) {
				t.Errorf("logs hold %q", s)
			}
		}
	}
	for _, s := range []string{twiliotest.AuthToken, mms} {
		if bytes.Contains(e.logs.Bytes(), []byte(s)) {
			t.Errorf("logs hold a secret or a SID %q", s)
		}
	}
}

// closeDay signs in to the clerk web of the server at base as the manager
// max and closes office on day (YYYY-MM-DD); it returns the flash message
// of the page it lands on.
func closeDay(t *testing.T, base, office, day string) string {
	t.Helper()
	// The session cookie is Secure (the public URL is https), which a
	// cookie jar would not send over plain http: carry it by hand.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, cookie string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d, want 303", path, resp.StatusCode)
		}
		return resp
	}
	login := post("/clerk/login", url.Values{"username": {"max"}, "password": {strings.Repeat("x", 20)}}, "")
	var cookie string
	for _, c := range login.Cookies() {
		cookie = c.Name + "=" + c.Value
	}
	closed := post("/clerk/close", url.Values{"office": {office}, "date": {day}, "confirm": {"yes"}}, cookie)
	req, _ := http.NewRequest(http.MethodGet, base+closed.Header.Get("Location"), nil)
	req.Header.Set("Cookie", cookie)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?s)class="flash[^"]*"[^>]*>(.*?)<`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no flash after closing %s:\n%s", day, body)
	}
	return string(m[1])
}
