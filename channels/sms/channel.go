package sms

import "github.com/cita-city/cita/channels/twilio"

// Path is where Twilio posts incoming text messages.
const Path = "/webhooks/twilio/sms"

// Kind is the SMS channel's part of a twilio.Config: numbers as Twilio
// writes them for SMS (E.164, no prefix), reminders as plain text.
var Kind = twilio.Kind{Name: "sms", Path: Path}

// New returns the SMS channel of c (c.Kind is set to Kind).
func New(c twilio.Config) (*twilio.Channel, error) {
	c.Kind = Kind
	return twilio.New(c)
}
