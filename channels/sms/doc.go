// Package sms is cita's SMS channel: a thin layer over the Twilio adapter
// (channels/twilio), which serves the webhook, checks signatures, drops
// duplicates, answers carrier keywords and MMS, runs the REST calls
// (replies off the request path, reminders, clean-up) and reconciles
// reminders. This package says what is SMS about it: the webhook's path,
// plain-text reminders from the locale files, and the segment count the
// engine's replies are budgeted with (docs/DESIGN.md, section 7).
package sms
