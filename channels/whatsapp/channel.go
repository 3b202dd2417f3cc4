package whatsapp

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/cita-city/cita/channels/twilio"
)

// Path is where Twilio posts incoming WhatsApp messages.
const Path = "/webhooks/twilio/whatsapp"

// Prefix is what Twilio writes before a WhatsApp address's number.
const Prefix = twilio.WhatsAppPrefix

// Kind returns the WhatsApp channel's part of a twilio.Config, with the
// reminder templates of templates (language to ContentSid; see
// ParseTemplates). A language without one gets no reminder offered.
func Kind(templates map[string]string) twilio.Kind {
	t := maps.Clone(templates)
	if t == nil {
		t = map[string]string{} // templated, none configured: no reminders
	}
	return twilio.Kind{Name: "whatsapp", Path: Path, Prefix: Prefix, Templates: t}
}

// New returns the WhatsApp channel of c with the reminder templates of
// templates (c.Kind is set from them).
func New(c twilio.Config, templates map[string]string) (*twilio.Channel, error) {
	c.Kind = Kind(templates)
	return twilio.New(c)
}

// ErrSender is returned by ParseSender for a sender not of the form
// whatsapp:+<digits>.
var ErrSender = errors.New("want whatsapp: and an E.164 number, like whatsapp:+13125550100")

var (
	sender      = regexp.MustCompile(`^whatsapp:\+[1-9][0-9]{6,14}$`)
	contentSID  = regexp.MustCompile(`^HX[0-9a-f]{32}$`)
	languageTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

// ParseSender checks TWILIO_WHATSAPP_FROM. The error never repeats it.
func ParseSender(s string) (string, error) {
	if !sender.MatchString(s) {
		return "", ErrSender
	}
	return s, nil
}

// ParseTemplates reads TWILIO_WHATSAPP_TEMPLATES: comma-separated
// lang:ContentSid pairs, such as "en:HX0123...,es:HX4567...", each
// language one of langs (the program's). Empty means no templates: no
// reminders on WhatsApp.
func ParseTemplates(s string, langs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		lang, sid, ok := strings.Cut(f, ":")
		lang, sid = strings.TrimSpace(lang), strings.TrimSpace(sid)
		switch {
		case !ok || !languageTag.MatchString(lang):
			return nil, fmt.Errorf("want lang:ContentSid pairs such as es:HX0123456789abcdef0123456789abcdef, comma-separated")
		case !contentSID.MatchString(sid):
			return nil, fmt.Errorf("%s: a ContentSid is HX and 32 hex digits", lang)
		case !slices.Contains(langs, lang):
			return nil, fmt.Errorf("%s: not a language of the program (%s)", lang, strings.Join(langs, ", "))
		case out[lang] != "":
			return nil, fmt.Errorf("%s: two templates", lang)
		}
		out[lang] = sid
	}
	return out, nil
}
