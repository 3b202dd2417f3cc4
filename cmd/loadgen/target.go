package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/scheduling"
)

// cityNumber is the number residents write to.
const cityNumber = "+13125550100"

// greetings open sessions in the program's languages.
var greetings = []string{"hello", "hola", "dzień dobry", "你好", "مرحبا", "bonjour", "kumusta", "привіт"}

// conversation hands each resident of the conversation run its next text:
// "what to bring" from the menu, then back to the menu, and so on.
// Consecutive messages of a resident differ, across runs too, so none is
// taken for a resent one (the engine does nothing for the same text again
// within seconds).
type conversation struct{ turns []atomic.Int64 }

func newConversation(residents int) *conversation {
	return &conversation{turns: make([]atomic.Int64, residents)}
}

// next returns the text resident k sends next.
func (c *conversation) next(k int) string {
	if c.turns[k].Add(1)%2 == 1 {
		return "2"
	}
	return "menu"
}

// codeRE matches a confirmation code.
var codeRE = regexp.MustCompile(fmt.Sprintf(`\b[%s]{%d}\b`, regexp.QuoteMeta(scheduling.CodeAlphabet), scheduling.CodeLen))

// target posts signed webhooks to a server.
type target struct {
	base, public, token string
	hc                  *http.Client
	dials               atomic.Int64 // TCP connections opened
}

// messageSeq numbers the MessageSids of every target of this process: the
// bot drops a MessageSid it has seen (a delivery again), so two targets
// aimed at one server must never reuse one.
var messageSeq atomic.Int64

// newTarget returns a target whose client keeps up to idle connections
// open between requests; more may be open at once, and those beyond idle
// are closed after their request.
func newTarget(base, public, token string, idle int) *target {
	t := &target{base: base, public: public, token: token}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		MaxIdleConns: idle, MaxIdleConnsPerHost: idle, IdleConnTimeout: time.Minute,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			t.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}
	t.hc = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	return t
}

// say sends text from number and returns the reply's text.
func (t *target) say(from, text string) (string, error) {
	sid := fmt.Sprintf("SM%032x", messageSeq.Add(1))
	form := url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "AccountSid": {twiliotest.AccountSID},
		"MessagingServiceSid": {twiliotest.ServiceSID}, "From": {from}, "To": {cityNumber},
		"Body": {text}, "NumMedia": {"0"}, "FromCountry": {"US"},
	}
	req, err := http.NewRequest(http.MethodPost, t.base+sms.Path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sign(t.token, t.public+sms.Path, form))
	resp, err := t.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	var doc struct {
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("reply is not TwiML: %v", err)
	}
	return strings.Join(doc.Messages, "\n"), nil
}

// expect says text and fails unless the reply is not empty.
func (t *target) expect(from, text string) error {
	reply, err := t.say(from, text)
	if err != nil {
		return err
	}
	if reply == "" {
		return fmt.Errorf("empty reply to %q", text)
	}
	return nil
}

// firstReply says text from a number the server has not heard from and
// fails unless a reply comes back within wait: in the webhook's TwiML, or
// through the REST API (noted by rr) after an empty acknowledgement.
func (t *target) firstReply(rr *restReplies, from, text string, wait time.Duration) error {
	_, err := t.reply(rr, from, text, wait)
	return err
}

// reply says text from a number and waits up to wait for its reply: in
// the webhook's TwiML, or through the REST API (noted by rr) after an
// empty acknowledgement. viaREST tells which.
func (t *target) reply(rr *restReplies, from, text string, wait time.Duration) (viaREST bool, err error) {
	_, viaREST, err = t.converse(rr, from, text, wait)
	return viaREST, err
}

// converse is reply that also returns the reply's text.
func (t *target) converse(rr *restReplies, from, text string, wait time.Duration) (reply string, viaREST bool, err error) {
	before := rr.count(from)
	reply, err = t.say(from, text)
	switch {
	case err != nil:
		return "", false, err
	case reply != "":
		return reply, false, nil
	case !rr.waitPast(from, before, wait):
		return "", true, fmt.Errorf("no reply through the REST API within %v", wait)
	}
	return rr.last(from), true, nil
}

// book says the last step of a booking and fails unless it was booked.
func (t *target) book(from string) error {
	reply, err := t.say(from, "1")
	if err != nil {
		return err
	}
	if !codeRE.MatchString(reply) {
		return fmt.Errorf("not booked: %.60q", reply)
	}
	return nil
}

// langs are Telegram language_code hints matching greetings.
var langs = []string{"en", "es", "pl", "zh", "ar", "fr", "tl", "uk"}

// tgTarget posts text updates, as Telegram would, to a bot's webhook.
type tgTarget struct {
	url, secret string
	hc          *http.Client
	next        atomic.Int64 // update and message ids
	deferred    atomic.Int64 // 503 answers: Telegram would deliver the update again
}

func newTGTarget(base, secret string, hc *http.Client) *tgTarget {
	t := &tgTarget{url: base + "/webhooks/telegram", secret: secret, hc: hc}
	// The bot drops update ids it has seen in the last 48 hours: a second
	// run against the same server must not reuse them.
	t.next.Store(time.Now().Unix() * 1000)
	return t
}

// resident sends text from resident i's private chat (chat 7,000,000+i),
// whose Telegram language is langs[i%len(langs)].
func (t *tgTarget) resident(i int, text string) error {
	return t.post(int64(7_000_000+i), langs[i%len(langs)], text)
}

// post sends text from the private chat of user chat (same id), whose
// Telegram language is lang. A 503 with Retry-After is the bot deferring
// the update to Telegram: counted, not a failure.
func (t *tgTarget) post(chat int64, lang, text string) error {
	id := t.next.Add(1)
	from := map[string]any{"id": chat, "is_bot": false, "first_name": "Resident", "language_code": lang}
	raw, err := json.Marshal(map[string]any{
		"update_id": id,
		"message": map[string]any{
			"message_id": id, "from": from, "date": time.Now().Unix(), "text": text,
			"chat": map[string]any{"id": chat, "type": "private", "first_name": "Resident"},
		},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", t.secret)
	resp, err := t.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		t.deferred.Add(1)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("telegram webhook: status %d", resp.StatusCode)
	}
	return nil
}
