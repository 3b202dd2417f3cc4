// Package whatsapp is cita's WhatsApp channel: a thin layer over the
// Twilio adapter (channels/twilio), which serves the webhook, checks
// signatures, drops duplicates, answers opt-out words and pictures, runs
// the REST calls and reconciles reminders exactly as for SMS. This package
// says what is WhatsApp about it: the webhook's path, addresses written
// "whatsapp:+13125550142" (the resident is the number alone, the same as on
// SMS and Telegram), and reminders as Content templates approved by Meta,
// one per language, since WhatsApp allows a free-form message only within
// 24 hours of the resident's last one. See docs/DESIGN.md, section 7, and
// docs/PRIVACY.md for what Meta and Twilio learn.
package whatsapp
