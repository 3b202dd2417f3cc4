package main

import (
	"log/slog"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio"
	"github.com/cita-city/cita/channels/whatsapp"
	"github.com/cita-city/cita/identity"
)

// twilioTimeout bounds every Twilio REST call (twilio-go calls take no
// context); calls run off the webhook's path, so this never delays a reply.
const twilioTimeout = 10 * time.Second

// twilioConfig is the Twilio part of the environment. Secrets come only
// from the environment and are never printed.
type twilioConfig struct {
	AccountSID string // TWILIO_ACCOUNT_SID; empty: no SMS channel
	AuthToken  string // TWILIO_AUTH_TOKEN
	Service    string // TWILIO_MESSAGING_SERVICE_SID: sends reminders
	APIBase    string // TWILIO_API_BASE: tests point REST calls at a fake
	// RedactAfter is how long messages stay at Twilio before the redact
	// job deletes them (CITA_REDACT_AFTER, default 1h).
	RedactAfter time.Duration
	// WhatsAppFrom is the WhatsApp sender (TWILIO_WHATSAPP_FROM,
	// whatsapp:+1...); empty: no WhatsApp channel. Templates are its
	// reminder templates (TWILIO_WHATSAPP_TEMPLATES, lang:ContentSid,...).
	WhatsAppFrom string
	Templates    string
}

// twilioEnv reads the Twilio settings. ok is false when Twilio is not
// configured at all; a partial configuration is an error naming what is
// missing.
func (m *Main) twilioEnv() (tc twilioConfig, ok bool, err error) {
	tc = twilioConfig{
		AccountSID: m.env("TWILIO_ACCOUNT_SID", ""),
		AuthToken:  m.env("TWILIO_AUTH_TOKEN", ""),
		Service:    m.env("TWILIO_MESSAGING_SERVICE_SID", ""),
		APIBase:    m.env("TWILIO_API_BASE", ""),

		WhatsAppFrom: m.env("TWILIO_WHATSAPP_FROM", ""),
		Templates:    m.env("TWILIO_WHATSAPP_TEMPLATES", ""),
	}
	if tc.AccountSID == "" {
		if tc.WhatsAppFrom != "" {
			return tc, false, fail("TWILIO_WHATSAPP_FROM is set but TWILIO_ACCOUNT_SID is not: WhatsApp goes through the Twilio account")
		}
		return tc, false, nil
	}
	if tc.AuthToken == "" {
		return tc, false, fail("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not")
	}
	if tc.Service == "" {
		return tc, false, fail("TWILIO_ACCOUNT_SID is set but TWILIO_MESSAGING_SERVICE_SID is not (reminders are sent through a Messaging Service)")
	}
	after := m.env("CITA_REDACT_AFTER", "1h")
	tc.RedactAfter, err = time.ParseDuration(after)
	if err != nil || tc.RedactAfter < 0 {
		return tc, false, fail("CITA_REDACT_AFTER=%q: want a duration like 1h or 30m", after)
	}
	return tc, true, nil
}

// provider returns the Twilio REST client of tc.
func (tc twilioConfig) provider() (*twilio.Twilio, error) {
	hc, err := twilio.HTTPClient(tc.APIBase, twilioTimeout)
	if err != nil {
		return nil, fail("TWILIO_API_BASE: %v", err)
	}
	hc.Transport = countedTransport{provider: "twilio", next: hc.Transport}
	p := twilio.NewTwilio(tc.AccountSID, tc.AuthToken, tc.Service, hc)
	p.WhatsAppFrom = tc.WhatsAppFrom
	return p, nil
}

// smsChannel wires the SMS channel, or returns nil, nil when Twilio is not
// configured (TWILIO_ACCOUNT_SID unset).
func (m *Main) smsChannel(a *app, c Config, log *slog.Logger) (*twilio.Channel, error) {
	tc, ok, err := m.twilioEnv()
	if err != nil || !ok {
		return nil, err
	}
	var others []string
	if tc.WhatsAppFrom != "" {
		others = []string{whatsapp.Prefix}
	}
	cfg, err := m.twilioConfig(a, c, tc, others, log)
	if err != nil {
		return nil, err
	}
	ch, err := sms.New(cfg)
	if err != nil {
		return nil, fail("%v", err)
	}
	return ch, nil
}

// whatsappChannel wires the WhatsApp channel, or returns nil, nil when
// TWILIO_WHATSAPP_FROM is unset.
func (m *Main) whatsappChannel(a *app, c Config, log *slog.Logger) (*twilio.Channel, error) {
	tc, ok, err := m.twilioEnv()
	if err != nil || !ok || tc.WhatsAppFrom == "" {
		return nil, err
	}
	if _, err := whatsapp.ParseSender(tc.WhatsAppFrom); err != nil {
		return nil, fail("TWILIO_WHATSAPP_FROM: %v", err)
	}
	templates, err := whatsapp.ParseTemplates(tc.Templates, a.program.Languages)
	if err != nil {
		return nil, fail("TWILIO_WHATSAPP_TEMPLATES: %v", err)
	}
	cfg, err := m.twilioConfig(a, c, tc, []string{""}, log)
	if err != nil {
		return nil, err
	}
	ch, err := whatsapp.New(cfg, templates)
	if err != nil {
		return nil, fail("%v", err)
	}
	return ch, nil
}

// twilioConfig is what the SMS and WhatsApp channels share; others are the
// address prefixes of the other Twilio channel, if it is on.
func (m *Main) twilioConfig(a *app, c Config, tc twilioConfig, others []string, log *slog.Logger) (twilio.Config, error) {
	if c.PublicURL == "" {
		return twilio.Config{}, fail("TWILIO_ACCOUNT_SID is set but CITA_PUBLIC_URL (--public-url) is not: Twilio signs webhooks over the public URL, so it must be known")
	}
	p, err := tc.provider()
	if err != nil {
		return twilio.Config{}, err
	}
	wait, err := m.admissionWait()
	if err != nil {
		return twilio.Config{}, err
	}
	return twilio.Config{
		Engine:    a.engine,
		IDs:       a.hasher,
		Normalize: identity.NormalizeSender, // From is as the carrier delivered it
		Texts:     a.catalog,
		Program:   a.program,
		Provider:  p,
		AuthToken: tc.AuthToken,
		PublicURL: c.PublicURL,
		Now:       m.Now,
		Log:       log,
		OnAttempt: providerAttempt,
		// Dedupe marks in the database: a replay after a restart acts once.
		Deliveries: a.store,
		DedupeKey:  a.hasher.DedupeKey,
		// A queued first message outlives the admission bound by half
		// again (estimates drift), then its sender is not helped by it.
		MaxWait:       wait + wait/2,
		OtherPrefixes: others,
	}, nil
}

// redactAfter returns the redaction delay smsChannel validated
// (CITA_REDACT_AFTER, default 1h), for the cron job in serve.
func (m *Main) redactAfter() time.Duration {
	tc, ok, err := m.twilioEnv()
	if err != nil || !ok {
		return time.Hour
	}
	return tc.RedactAfter
}
