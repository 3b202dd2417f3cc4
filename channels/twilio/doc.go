// Package twilio is cita's Twilio adapter: everything the SMS and WhatsApp
// channels (channels/sms, channels/whatsapp) share, the way one TwiML
// handler serves both at Twilio. It serves Twilio's incoming-message
// webhook: the signature is checked against the configured public URL,
// duplicates are dropped (by MessageSid, persistently), carrier keywords
// (STOP, START, HELP) and media are answered here, and everything else
// goes to the conversation engine. Its reply goes back as TwiML when the
// sender's identities are in memory; a first message instead waits, in
// arrival order, for its identity stretch off the webhook's path, and its
// reply follows through the REST API (see converse). One resident's
// messages are handled one at a time, in the order they came.
//
// Reminders live at Twilio, not with us: a scheduled message through the
// Messaging Service (plain text on SMS, a Content template on WhatsApp),
// found again by listing messages to the resident's address while they
// are writing, or by the confirmation code in their text when a clerk
// closes the office that day (NotifyClosed cancels them and tells those
// residents). No message id is stored (P1), and no number, text or SID is
// logged (P3). The webhook's REST calls run on a background queue with
// retries, so a webhook never waits for Twilio. Redact deletes old
// messages and their media at Twilio (P5); pictures are never downloaded
// (P6). Reconcile cancels reminders whose appointment is gone. The
// promises are those of docs/DESIGN.md and docs/PRIVACY.md.
//
// Only this package (and cmd/bot, which wires it) imports twilio-go.
// twiliotest fakes the REST API for tests.
package twilio
