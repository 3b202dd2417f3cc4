package voice

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// verb is one TwiML verb as parsed back from an answer.
type verb struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []verb     `xml:",any"`
}

func (v verb) attr(name string) string {
	for _, a := range v.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseTwiML parses an answer and checks what every answer must be: only
// Say, Gather (DTMF, its action on the public URL), Pause, Redirect (on
// the public URL) and Hangup; a language on every Say; nothing that
// records, transcribes or listens to speech.
func parseTwiML(t *testing.T, body string) []verb {
	t.Helper()
	var doc struct {
		XMLName xml.Name `xml:"Response"`
		Verbs   []verb   `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("not TwiML: %v\n%s", err, body)
	}
	var check func(v verb, inGather bool)
	check = func(v verb, inGather bool) {
		switch v.XMLName.Local {
		case "Say":
			if v.attr("language") == "" {
				t.Errorf("<Say> without a language: %q", v.Text)
			}
		case "Gather":
			if inGather {
				t.Error("nested <Gather>")
			}
			if v.attr("input") != "dtmf" {
				t.Errorf("<Gather input=%q>, want dtmf", v.attr("input"))
			}
			if !strings.HasPrefix(v.attr("action"), publicURL+Path+"/") {
				t.Errorf("<Gather action=%q> is not on the public URL", v.attr("action"))
			}
			for _, a := range v.Attrs {
				switch a.Name.Local {
				case "input", "action", "method", "timeout", "numDigits", "finishOnKey", "actionOnEmptyResult":
				default:
					t.Errorf("<Gather %s=%q>: not an attribute a keypad menu needs", a.Name.Local, a.Value)
				}
			}
		case "Redirect":
			if !strings.HasPrefix(strings.TrimSpace(v.Text), publicURL+Path+"/") {
				t.Errorf("<Redirect> to %q is not on the public URL", v.Text)
			}
		case "Pause", "Hangup":
		default:
			t.Errorf("verb <%s> is not allowed", v.XMLName.Local)
		}
		for _, c := range v.Children {
			if v.XMLName.Local != "Gather" || c.XMLName.Local != "Say" {
				t.Errorf("<%s> inside <%s>", c.XMLName.Local, v.XMLName.Local)
			}
			check(c, true)
		}
	}
	for _, v := range doc.Verbs {
		check(v, false)
	}
	return doc.Verbs
}

// httpCall is a call through signed webhooks, as Twilio makes it.
type httpCall struct {
	f     *fixture
	sid   string
	from  string
	verbs []verb
}

func (f *fixture) ring(sid, from string) *httpCall {
	c := &httpCall{f: f, sid: sid, from: from}
	c.follow(f.post(Path, url.Values{"CallSid": {sid}, "From": {from}, "To": {"+13125550100"}, "Direction": {"inbound"}}))
	return c
}

// follow parses an answer and follows its redirects (the stretch wait).
func (c *httpCall) follow(w interface {
	Result() *http.Response
}) {
	c.f.t.Helper()
	for i := 0; ; i++ {
		res := w.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			c.f.t.Fatalf("webhook: %d %s", res.StatusCode, body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			c.f.t.Errorf("Content-Type %q", ct)
		}
		c.verbs = parseTwiML(c.f.t, string(body))
		last := c.verbs[len(c.verbs)-1]
		if last.XMLName.Local != "Redirect" {
			return
		}
		if i > 1000 {
			c.f.t.Fatal("redirected for ever")
		}
		time.Sleep(2 * time.Millisecond)
		u, _ := url.Parse(strings.TrimSpace(last.Text))
		w = c.f.post(u.RequestURI(), url.Values{"CallSid": {c.sid}})
	}
}

func (c *httpCall) press(keys ...string) *httpCall {
	c.f.t.Helper()
	for _, k := range keys {
		g := c.verbs[0]
		if g.XMLName.Local != "Gather" {
			c.f.t.Fatalf("pressing %s without a <Gather>: %v", k, c.verbs)
		}
		u, _ := url.Parse(g.attr("action"))
		c.follow(c.f.post(u.RequestURI(), url.Values{"CallSid": {c.sid}, "Digits": {k}}))
	}
	return c
}

func (c *httpCall) said() string {
	var parts []string
	var walk func(vs []verb)
	walk = func(vs []verb) {
		for _, v := range vs {
			if v.XMLName.Local == "Say" {
				parts = append(parts, v.Text)
			}
			walk(v.Children)
		}
	}
	walk(c.verbs)
	return strings.Join(parts, " ")
}

// TestCallBooks: a call through signed webhooks books, every answer is
// well-formed TwiML, the voices are the configured ones, and the booking
// is the caller's: found by their number's identities.
func TestCallBooks(t *testing.T) {
	f := newFixture(t)
	c := f.ring("CA100", caller)
	if says := c.verbs[0].Children; len(says) != 1+len(f.ch.langs) || says[2].attr("language") != "es-US" || says[2].attr("voice") != "Polly.Lupe-Neural" {
		t.Errorf("language menu: %+v", says)
	}
	c.press("2", "4", "1", "1")
	if !strings.Contains(c.said(), "su código es") {
		t.Fatalf("no code read after booking: %s", c.said())
	}
	ids, err := f.hasher.Identities(caller, f.now)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Find(ids)
	if err != nil || a.Lang != "es" {
		t.Fatalf("Find = %+v, %v; want a Spanish appointment", a, err)
	}
	if strings.Contains(f.logs.String(), "5550142") {
		t.Errorf("the number was logged:\n%s", f.logs)
	}
	// The call ends: nothing of it is left.
	if w := f.post(Path+"/status", url.Values{"CallSid": {"CA100"}, "CallStatus": {"completed"}}); w.Code != http.StatusNoContent {
		t.Errorf("status callback: %d", w.Code)
	}
	if n := f.ch.Calls(); n != 0 {
		t.Errorf("%d calls held after the call ended", n)
	}
}

// TestCodeReadTwice: the code is read one character at a time, twice, and
// star reads it again; "my appointment" reads it back on a later call.
func TestCodeReadTwice(t *testing.T) {
	f := newFixture(t)
	c := f.dial("CA1", caller)
	c.press("1", "4", "1", "1")
	ids, _ := f.hasher.Identities(caller, f.now)
	a, err := f.svc.Find(ids)
	if err != nil {
		t.Fatal(err)
	}
	spelled := strings.Join(strings.Split(a.Code, ""), ", ")
	if n := strings.Count(c.said(), spelled); n != 2 {
		t.Errorf("code %s spelled %d times, want 2: %s", a.Code, n, c.said())
	}
	if strings.Contains(c.said(), a.Code) {
		t.Errorf("code read as a word: %s", c.said())
	}
	c.press("*")
	if n := strings.Count(c.said(), spelled); n != 2 {
		t.Errorf("after *: code spelled %d times, want 2: %s", n, c.said())
	}
	// A later call: the appointment's language, straight to the main menu.
	again := f.dial("CA2", caller)
	if strings.Contains(again.said(), "Para español") {
		t.Errorf("a caller with an appointment got the language menu: %s", again.said())
	}
	again.press("5")
	if n := strings.Count(again.said(), spelled); n != 2 {
		t.Errorf("my appointment: code spelled %d times, want 2: %s", n, again.said())
	}
}

// TestWithheldCallerID: a hidden number hears information but cannot
// book: the booking keys are not offered, and pressing them says why.
func TestWithheldCallerID(t *testing.T) {
	for _, from := range []string{"anonymous", "Restricted", "+266696687", "+86282452253", "+8656696", "+7378742833", "", "unknown"} {
		t.Run(from, func(t *testing.T) {
			f := newFixture(t)
			c := f.dial("CA1", from)
			c.press("1")
			said := c.said()
			if !strings.Contains(said, "Your number is hidden") {
				t.Errorf("not told booking needs a number: %s", said)
			}
			for _, absent := range []string{"press 4", "press 5", "press 9"} {
				if strings.Contains(said, absent) {
					t.Errorf("main menu offers %q to a hidden number: %s", absent, said)
				}
			}
			if !strings.Contains(said, "What to bring, press 2") {
				t.Errorf("information not offered: %s", said)
			}
			for _, k := range []string{"4", "5", "9"} {
				c.press(k)
				if !strings.Contains(c.said(), "Your number is hidden") {
					t.Errorf("pressed %s: %s", k, c.said())
				}
			}
			c.press("3", "1") // offices, the first: its hours, and "book here" as key 1 on SMS
			if strings.Contains(c.said(), "press 1") {
				t.Errorf("office hours offer booking to a hidden number: %s", c.said())
			}
			c.press("1")
			if !strings.Contains(c.said(), "Your number is hidden") || strings.Contains(c.said(), "How many people") {
				t.Errorf("book here, hidden number: %s", c.said())
			}
		})
	}
}

// TestSignature: a forged or missing signature is 403, a signature over
// another URL (the query left out) too; a body over 64 KiB is 413.
func TestSignature(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"CallSid": {"CA9"}, "From": {caller}}
	for _, tc := range []struct {
		name string
		path string
		sig  string
		want int
	}{
		{"forged", Path, sign("not-the-token", publicURL+Path, form), http.StatusForbidden},
		{"missing", Path, "", http.StatusForbidden},
		{"query left out", Path + "/key?n=1", sign(authToken, publicURL+Path+"/key", form), http.StatusForbidden},
		{"other host", Path, sign(authToken, "https://evil.example"+Path, form), http.StatusForbidden},
		{"good", Path, sign(authToken, publicURL+Path, form), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "http://internal"+tc.path, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.sig != "" {
				r.Header.Set("X-Twilio-Signature", tc.sig)
			}
			w := newRecorder()
			f.ch.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("%d, want %d", w.Code, tc.want)
			}
		})
	}
	if n := f.ch.Calls(); n != 1 {
		t.Errorf("%d calls held, want only the good one", n)
	}
	big := url.Values{"CallSid": {"CA10"}, "Pad": {strings.Repeat("x", 70<<10)}}
	w := f.post(Path, big)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("70 KiB body: %d, want 413", w.Code)
	}
}

// TestRepeatedWebhook: Twilio sending the same keys twice (a retry) acts
// once and gets the same answer.
func TestRepeatedWebhook(t *testing.T) {
	f := newFixture(t)
	c := f.dial("CA1", caller)
	c.press("1", "4", "1")
	step := c.last.Step
	p1 := f.ch.Press("CA1", step, "1", f.now)
	p2 := f.ch.Press("CA1", step, "1", f.now)
	if p1.Step != p2.Step || len(p1.Says) != len(p2.Says) {
		t.Errorf("a repeated webhook answered differently: %+v / %+v", p1, p2)
	}
	if !strings.Contains(p1.Says[0].Text, "Booked") {
		t.Fatalf("not booked: %+v", p1)
	}
}

// TestSilence: no key three times ends the call, and its state goes.
func TestSilence(t *testing.T) {
	f := newFixture(t)
	c := f.dial("CA1", caller)
	c.press("", "", "")
	if !c.last.Hangup || !strings.Contains(c.said(), "Goodbye") {
		t.Errorf("after three silences: %+v", c.last)
	}
	// A hang-up mid-way, without a status callback: swept after CallTTL.
	f.dial("CA2", "+13125550143").press("1", "4")
	if n := f.ch.Sweep(f.now.Add(CallTTL + time.Second)); n < 1 || f.ch.Calls() != 0 {
		t.Errorf("Sweep dropped %d, %d calls left", n, f.ch.Calls())
	}
}

// busyIDs turns every newcomer away.
type busyIDs struct{}

func (busyIDs) Cached(string, time.Time) ([]scheduling.Identity, bool) { return nil, false }
func (busyIDs) AdmitAsync(string, time.Time, func()) (func() bool, error) {
	return nil, &identity.BusyError{RetryAfter: 3 * time.Minute}
}

// TestBusy: a newcomer the admission queue cannot take is told to call
// again later, and the call ends.
func TestBusy(t *testing.T) {
	f := newFixture(t)
	f.ch.c.IDs = busyIDs{}
	c := f.dial("CA1", caller)
	if !c.last.Hangup || !strings.Contains(c.said(), "call again in a few minutes") {
		t.Errorf("busy: %s", c.out.String())
	}
	if !errors.Is(&identity.BusyError{}, identity.ErrBusy) {
		t.Fatal("BusyError is not ErrBusy")
	}
}

var spelledCode = regexp.MustCompile(`([` + scheduling.CodeAlphabet + `], ){5}[` + scheduling.CodeAlphabet + `]`)

// TestSpell: codes are spelled with a pause between characters.
func TestSpell(t *testing.T) {
	if got := spell("K7M2QX"); got != "K, 7, M, 2, Q, X" || !spelledCode.MatchString(got) {
		t.Errorf("spell = %q", got)
	}
	for in, want := range map[string]string{
		"a\n- b\n- c":         "a. b. c",
		"\u2066X1\u2069 done": "X1 done",
		"Booked! ✅\nCode":     "Booked! Code",
	} {
		if got := spoken(in); got != want {
			t.Errorf("spoken(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRestartedMidCall: keys for a call the process does not know (it
// restarted) start the call over from its From, and the incoming call
// webhook sent twice answers the same.
func TestRestartedMidCall(t *testing.T) {
	f := newFixture(t)
	c := &httpCall{f: f, sid: "CA7", from: caller}
	c.follow(f.post(Path+"/key?n=4", url.Values{"CallSid": {"CA7"}, "From": {caller}, "Digits": {"4"}}))
	if !strings.Contains(c.said(), "For English, press 1") {
		t.Errorf("unknown call's keys: %s", c.said())
	}
	again := &httpCall{f: f, sid: "CA7", from: caller}
	again.follow(f.post(Path, url.Values{"CallSid": {"CA7"}, "From": {caller}}))
	if again.said() != c.said() {
		t.Errorf("the incoming webhook again: %q, want %q", again.said(), c.said())
	}
}

// TestConcurrentCalls: calls at once each book their own appointment
// (run with -race).
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t)
	const n = 8
	errs := make(chan string, n)
	for i := range n {
		go func() {
			sid, from := "CA"+strconv.Itoa(i), "+13125550"+strconv.Itoa(150+i) // 555-0150..0157
			p := f.ch.Start(sid, from, f.now)
			for p.Wait {
				time.Sleep(2 * time.Millisecond)
				p = f.ch.Wait(sid, p.Step, f.now)
			}
			for _, k := range []string{"1", "4", "1"} {
				p = f.ch.Press(sid, p.Step, k, f.now)
			}
			// Book the time offered; when another caller took its last
			// seat first, the nearest free times are offered: take the first.
			said := ""
			for try := 0; try < 6 && !spelledCode.MatchString(said); try++ {
				p = f.ch.Press(sid, p.Step, "1", f.now)
				said = ""
				for _, s := range p.Says {
					said += s.Text + " "
				}
			}
			if !spelledCode.MatchString(said) {
				errs <- sid + ": no code read: " + said
				return
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	if got := f.ch.Calls(); got != n {
		t.Errorf("%d calls held, want %d", got, n)
	}
}

// TestForgetByPhone: "delete my data" is 9 on the phone (0 is the main
// menu); confirmed, the appointment is gone and the call ends.
func TestForgetByPhone(t *testing.T) {
	f := newFixture(t)
	c := f.dial("CA1", caller)
	c.press("1", "4", "1", "1", "0", "9", "1")
	if !c.last.Hangup || !strings.Contains(c.said(), "Goodbye") {
		t.Errorf("after deleting: %s", c.out.String())
	}
	ids, _ := f.hasher.Identities(caller, f.now)
	if a, err := f.svc.Find(ids); !errors.Is(err, scheduling.ErrNotFound) {
		t.Errorf("Find after delete = %+v, %v; want ErrNotFound", a, err)
	}
}

// TestLanguageFromMainMenu: 6 offers every language in itself again, and
// the one pressed is spoken from then on.
func TestLanguageFromMainMenu(t *testing.T) {
	f := newFixture(t)
	c := f.dial("CA1", caller)
	c.press("1", "6")
	found := false
	for _, s := range c.last.Says {
		found = found || s.Lang == "es" && s.Text == "Para español, oprima 2."
	}
	if !found {
		t.Errorf("language menu by 6: %s", c.out.String())
	}
	c.press("2")
	if c.last.Says[0].Lang != "es" || !strings.Contains(c.said(), "Pedir cita: oprima 4") {
		t.Errorf("after choosing Spanish: %s", c.said())
	}
}
