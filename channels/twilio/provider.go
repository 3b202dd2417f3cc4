package twilio

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// Provider is what the channel needs from Twilio's REST API. Twilio
// implements it; tests use the real Twilio type against twiliotest.
type Provider interface {
	// Schedule creates a message to address to, sent at sendAt (fixed
	// schedule).
	Schedule(to string, m Outgoing, sendAt time.Time) error
	// Send sends a message to number now, outside any conversation (a
	// closed office): a webhook's reply goes back as TwiML instead.
	Send(to, body string) error
	// List returns this account's messages matching f.
	List(f Filter) ([]Message, error)
	// Cancel cancels a scheduled message.
	Cancel(sid string) error
	// Delete deletes a message, and DeleteMedia every media file of one,
	// returning how many it deleted. Both treat "already gone" as done.
	Delete(sid string) error
	DeleteMedia(messageSID string) (int, error)
}

// Outgoing is what a created message says: plain text, or a Content
// template (on WhatsApp, one Meta approved: the only kind of message
// allowed outside the 24-hour session window) with its variables as a
// JSON object ({"1": "...", ...}).
type Outgoing struct {
	Body                         string
	ContentSID, ContentVariables string
}

// Filter narrows List; zero fields do not filter.
type Filter struct {
	To, From string
	// Before keeps messages sent (or, unsent, created) before it.
	Before time.Time
}

// Message is a message at Twilio, reduced to what the channel acts on.
type Message struct {
	SID    string
	Status string // e.g. "scheduled", "delivered", "received", "canceled"
	// To and Body are held in memory only while acting on the message
	// (finding a reminder by its code); never logged or stored (P1, P3).
	To, Body string
	Media    int
	// Sent is when Twilio sent or received it, or created it if unsent.
	Sent time.Time
}

// Statuses of a message Twilio cannot delete yet (still in flight) or that
// must stay (a reminder waiting to go out). Redaction skips them.
var keep = map[string]bool{
	"scheduled": true, "accepted": true, "queued": true, "sending": true, "receiving": true,
}

// Twilio is the Provider of a real Twilio account, through twilio-go.
type Twilio struct {
	api     *api.ApiService
	service string // Messaging Service SID that sends reminders
	// WhatsAppFrom is the WhatsApp sender ("whatsapp:+1..."): messages to
	// a whatsapp: address are sent from it. Scheduled ones go through the
	// Messaging Service, whose sender pool must hold it.
	WhatsAppFrom string
}

var _ Provider = (*Twilio)(nil)

// NewTwilio returns the Provider of account sid with auth token, sending
// scheduled messages through Messaging Service service. hc carries the
// timeout (twilio-go calls take no context) and, in tests, a Rewrite
// transport.
func NewTwilio(sid, token, service string, hc *http.Client) *Twilio {
	c := &client.Client{Credentials: client.NewCredentials(sid, token), HTTPClient: hc}
	c.SetAccountSid(sid)
	return &Twilio{api: api.NewApiServiceWithClient(c), service: service}
}

// Schedule implements Provider. Twilio schedules only through a
// Messaging Service.
func (t *Twilio) Schedule(to string, m Outgoing, sendAt time.Time) error {
	p := (&api.CreateMessageParams{}).
		SetTo(to).
		SetMessagingServiceSid(t.service).
		SetScheduleType("fixed").
		SetSendAt(sendAt.UTC())
	if m.ContentSID != "" {
		p.SetContentSid(m.ContentSID)
		if m.ContentVariables != "" {
			p.SetContentVariables(m.ContentVariables)
		}
	} else {
		p.SetBody(m.Body)
	}
	_, err := t.api.CreateMessage(p)
	return err
}

// Send implements Provider.
func (t *Twilio) Send(to, body string) error {
	p := (&api.CreateMessageParams{}).
		SetTo(to).
		SetMessagingServiceSid(t.service).
		SetBody(body)
	if t.WhatsAppFrom != "" && strings.HasPrefix(to, WhatsAppPrefix) {
		p.SetFrom(t.WhatsAppFrom)
	}
	_, err := t.api.CreateMessage(p)
	return err
}

// WhatsAppPrefix is what Twilio writes before a WhatsApp address's E.164
// number.
const WhatsAppPrefix = "whatsapp:"

// List implements Provider.
func (t *Twilio) List(f Filter) ([]Message, error) {
	p := (&api.ListMessageParams{}).SetPageSize(1000)
	if f.To != "" {
		p.SetTo(f.To)
	}
	if f.From != "" {
		p.SetFrom(f.From)
	}
	if !f.Before.IsZero() {
		p.SetDateSentBefore(f.Before.UTC())
	}
	msgs, err := t.api.ListMessage(p)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		msg := Message{SID: deref(m.Sid), Status: deref(m.Status), To: deref(m.To), Body: deref(m.Body)}
		msg.Media, _ = strconv.Atoi(deref(m.NumMedia))
		msg.Sent = parseDate(deref(m.DateSent))
		if msg.Sent.IsZero() {
			msg.Sent = parseDate(deref(m.DateCreated))
		}
		// Twilio filters by day; the cut-off is to the second.
		if !f.Before.IsZero() && (msg.Sent.IsZero() || !msg.Sent.Before(f.Before)) {
			continue
		}
		out = append(out, msg)
	}
	return out, nil
}

// Cancel implements Provider.
func (t *Twilio) Cancel(sid string) error {
	_, err := t.api.UpdateMessage(sid, (&api.UpdateMessageParams{}).SetStatus("canceled"))
	return gone(err)
}

// Delete implements Provider.
func (t *Twilio) Delete(sid string) error {
	return gone(t.api.DeleteMessage(sid, nil))
}

// DeleteMedia implements Provider. It never fetches a media file's content.
func (t *Twilio) DeleteMedia(messageSID string) (int, error) {
	media, err := t.api.ListMedia(messageSID, nil)
	if err != nil {
		return 0, gone(err)
	}
	n := 0
	for _, m := range media {
		if err := gone(t.api.DeleteMedia(messageSID, deref(m.Sid), nil)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// gone turns Twilio's 404 into success: deleting or cancelling what is no
// longer there is done.
func gone(err error) error {
	if Status(err) == http.StatusNotFound {
		return nil
	}
	return err
}

// Status returns the HTTP status of a Twilio REST error, or 0 if err is
// not one (a network error, a timeout). Log this, never err itself: the
// SDK's errors may hold the request URL, which holds the resident's
// number when listing by number (P3).
func Status(err error) int {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		return te.Status
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return v1.HttpStatusCode
	}
	return 0
}

// retryable reports whether a failed call may succeed later: rate limited,
// a server error, or no answer at all. Other 4xx will fail the same way.
func retryable(err error) bool {
	s := Status(err)
	return s == 0 || s == http.StatusTooManyRequests || s >= 500
}

// Outcomes of one attempt at a Twilio call, as Config.OnAttempt gets them:
// a fixed set, so they are safe as metric labels (P3).
const (
	OutcomeOK          = "ok"
	OutcomeRateLimited = "429"
	OutcomeServerError = "5xx"
	OutcomeTimeout     = "timeout"
	OutcomeRefused     = "4xx" // the request itself is wrong: not retried
	OutcomeError       = "error"
)

// outcome classifies err for OnAttempt and logs.
func outcome(err error) string {
	s := Status(err)
	var ne net.Error
	switch {
	case err == nil:
		return OutcomeOK
	case s == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case s >= 500:
		return OutcomeServerError
	case s >= 400:
		return OutcomeRefused
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return OutcomeTimeout
	}
	return OutcomeError
}

// parseDate reads Twilio's RFC 2822 dates; zero if absent or malformed.
func parseDate(s string) time.Time {
	t, err := time.Parse(time.RFC1123Z, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
