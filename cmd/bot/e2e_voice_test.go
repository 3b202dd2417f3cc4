package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/channels/voice"
)

// phoneCaller is a phone call to `bot serve` through signed voice
// webhooks, following its redirects as Twilio does.
type phoneCaller struct {
	t      *testing.T
	base   string
	sid    string
	from   string
	action string // the last <Gather>'s action, "" when the call ended
	said   string // everything the last answer said
	ended  bool
}

var callSeq int

func callFrom(t *testing.T, base, from string) *phoneCaller {
	t.Helper()
	callSeq++
	c := &phoneCaller{t: t, base: base, from: from, sid: fmt.Sprintf("CA%032d", callSeq)}
	c.post(smsPublicURL+voice.Path, url.Values{"CallSid": {c.sid}, "From": {from}, "To": {smsCity}, "AccountSid": {twiliotest.AccountSID}, "Direction": {"inbound"}})
	return c
}

// post sends a signed webhook to u (a public URL) and takes in its TwiML.
func (c *phoneCaller) post(u string, form url.Values) {
	c.t.Helper()
	for range 200 {
		status, body := c.raw(u, form, "")
		if status != http.StatusOK {
			c.t.Fatalf("voice webhook %s: %d %s", u, status, body)
		}
		var doc struct {
			Says   []string `xml:"Say"`
			Gather *struct {
				Action string   `xml:"action,attr"`
				Says   []string `xml:"Say"`
			} `xml:"Gather"`
			Redirect string    `xml:"Redirect"`
			Hangup   *struct{} `xml:"Hangup"`
		}
		if err := xml.Unmarshal([]byte(body), &doc); err != nil {
			c.t.Fatalf("not TwiML: %v\n%s", err, body)
		}
		says := doc.Says
		c.action = ""
		if doc.Gather != nil {
			says = append(says, doc.Gather.Says...)
			c.action = doc.Gather.Action
		}
		c.said = strings.Join(says, " ")
		c.ended = doc.Hangup != nil
		if doc.Redirect == "" {
			return
		}
		time.Sleep(20 * time.Millisecond) // Twilio's <Pause>, shortened
		u, form = strings.TrimSpace(doc.Redirect), url.Values{"CallSid": {c.sid}}
	}
	c.t.Fatal("the call was held for ever")
}

// raw posts form to the public URL u signed with sig (or correctly).
func (c *phoneCaller) raw(u string, form url.Values, sig string) (int, string) {
	c.t.Helper()
	if sig == "" {
		sig = twiliotest.Sign(twiliotest.AuthToken, u, form)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+strings.TrimPrefix(u, smsPublicURL), strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("voice webhook: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (c *phoneCaller) press(keys ...string) *phoneCaller {
	c.t.Helper()
	for _, k := range keys {
		if c.action == "" {
			c.t.Fatalf("pressing %s but the call waits for no key; last heard: %s", k, c.said)
		}
		c.post(c.action, url.Values{"CallSid": {c.sid}, "From": {c.from}, "Digits": {k}})
	}
	return c
}

func (c *phoneCaller) hangUp() {
	c.t.Helper()
	if status, body := c.raw(smsPublicURL+voice.Path+"/status", url.Values{"CallSid": {c.sid}, "CallStatus": {"completed"}}, ""); status != http.StatusNoContent {
		c.t.Errorf("status callback: %d %s", status, body)
	}
}

// spelledRE finds a confirmation code read one character at a time.
var spelledRE = regexp.MustCompile(`\b([23456789ABCDEFGHJKMNPQRSTUVWXYZ], ){5}[23456789ABCDEFGHJKMNPQRSTUVWXYZ]\b`)

// heardCode returns the code the caller last heard, and how many times.
func (c *phoneCaller) heardCode() (string, int) {
	all := spelledRE.FindAllString(c.said, -1)
	if len(all) == 0 {
		return "", 0
	}
	return strings.ReplaceAll(all[0], ", ", ""), len(all)
}

// bookByPhone calls from number, chooses language key lang, and books the
// earliest slot for one; it returns the code heard and all that was said
// with it.
func bookByPhone(t *testing.T, base, number, lang string) (string, string) {
	t.Helper()
	c := callFrom(t, base, number)
	c.press(lang, "4", "1", "1")
	code, n := c.heardCode()
	if code == "" || n != 2 {
		t.Fatalf("phone booking from %s: code heard %d times:\n%s", number, n, c.said)
	}
	c.hangUp()
	return code, c.said
}

// TestVoiceEndToEnd: the built binary answers signed voice webhooks: a
// phone booking in English and in Spanish, SMS "5" from the same number
// finds it, a second call reads the code back in the appointment's
// language, a hidden number is refused booking, a forged signature is
// 403, and a call that hangs up mid-way leaves no appointment.
func TestVoiceEndToEnd(t *testing.T) {
	s := startSMSServer(t, nil, nil)

	code, _ := bookByPhone(t, s.base, "+13125550161", "1")
	ana := s.resident("+13125550161")
	if _, reply := ana.say("5"); !strings.Contains(reply, code) {
		t.Errorf("SMS 5 after a phone booking lacks the code %s:\n%s", code, reply)
	}

	es := callFrom(t, s.base, "+13125550162")
	es.press("2", "4", "1", "1")
	esCode, n := es.heardCode()
	if esCode == "" || n != 2 || !strings.Contains(es.said, "su código es") {
		t.Fatalf("Spanish phone booking: code heard %d times:\n%s", n, es.said)
	}
	es.hangUp()
	again := callFrom(t, s.base, "+13125550162")
	if !strings.Contains(again.said, "Bienvenido") || strings.Contains(again.said, "For English") {
		t.Errorf("a caller with a Spanish appointment is not greeted in Spanish: %s", again.said)
	}
	again.press("5")
	if got, n := again.heardCode(); got != esCode || n != 2 {
		t.Errorf("my appointment read %q %d times, want %s twice: %s", got, n, esCode, again.said)
	}
	again.hangUp()

	hidden := callFrom(t, s.base, "anonymous")
	hidden.press("1")
	if !strings.Contains(hidden.said, "Your number is hidden") || strings.Contains(hidden.said, "press 4") {
		t.Errorf("hidden number's main menu: %s", hidden.said)
	}
	hidden.press("4")
	if !strings.Contains(hidden.said, "Your number is hidden") || strings.Contains(hidden.said, "How many") {
		t.Errorf("hidden number pressed 4: %s", hidden.said)
	}
	hidden.hangUp()

	forged := &phoneCaller{t: t, base: s.base}
	form := url.Values{"CallSid": {"CA0000forged"}, "From": {"+13125550163"}}
	if status, _ := forged.raw(smsPublicURL+voice.Path, form, twiliotest.Sign("wrong-token", smsPublicURL+voice.Path, form)); status != http.StatusForbidden {
		t.Errorf("forged signature: %d, want 403", status)
	}

	// Hangs up while choosing the time: nothing booked, nothing kept.
	left := callFrom(t, s.base, "+13125550164")
	left.press("1", "4", "1")
	left.hangUp()
	if _, reply := s.resident("+13125550164").say("5"); codeRE.MatchString(reply) {
		t.Errorf("a call that hung up mid-way booked:\n%s", reply)
	}
	metrics := string(get(t, s.base+"/metrics"))
	for _, want := range []string{`cita_webhook_requests_total{channel="voice",outcome="2xx"}`, `cita_webhook_requests_total{channel="voice",outcome="4xx"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(s.out.String(), "5550161") || strings.Contains(s.out.String(), "CA000") {
		t.Errorf("a number or CallSid in the log:\n%s", s.out)
	}
}

// TestChatVoice: `bot chat --channel voice` says what a caller would hear
// and takes keys.
func TestChatVoice(t *testing.T) {
	e := newEnv(t)
	out, exit := e.run("2\n4\n1\n1\n", "chat", "--channel", "voice", "--as", "+13125550165")
	if exit != 0 {
		t.Fatalf("chat --channel voice: exit %d\n%s", exit, out)
	}
	for _, want := range []string{"(en) For English, press 1.", "(es) Para español, oprima 2.", "> 4", "(es) ¿Cuántas personas", "(es) Otra vez, su código es: "} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	if n := len(spelledRE.FindAllString(out, -1)); n != 2 {
		t.Errorf("code spelled %d times, want 2:\n%s", n, out)
	}
}
