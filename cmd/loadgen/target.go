package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
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

// codeRE matches a confirmation code.
var codeRE = regexp.MustCompile(fmt.Sprintf(`\b[%s]{%d}\b`, regexp.QuoteMeta(scheduling.CodeAlphabet), scheduling.CodeLen))

// target posts signed webhooks to a server.
type target struct {
	base, public, token string
	hc                  *http.Client
	seq                 atomic.Int64
}

func newTarget(base, public, token string, conns int) *target {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &target{base: base, public: public, token: token, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// say sends text from number and returns the reply's text.
func (t *target) say(from, text string) (string, error) {
	sid := fmt.Sprintf("SM%032x", t.seq.Add(1))
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
