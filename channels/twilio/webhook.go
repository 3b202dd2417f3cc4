package twilio

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"
)

// maxBody bounds a webhook: an SMS form is a few KiB at most.
const maxBody = 64 << 10

// ServeHTTP serves Twilio's incoming-message webhook (POST Kind.Path): it checks
// the signature, drops duplicates, answers carrier keywords and MMS itself,
// and hands everything else to the engine (see converse): with TwiML at
// once when the sender's identities are in memory, else with an empty
// acknowledgment and a reply through the REST API later. It never waits
// for an identity stretch or a Twilio call. Nothing from the request is
// logged (P3): not the number, the text, or a SID.
func (ch *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, ok := ReadSigned(w, r, ch.c.AuthToken, ch.c.PublicURL+ch.c.Kind.Path, ch.c.Log, ch.c.Kind.Name)
	if !ok {
		return
	}

	now := ch.c.Now()
	var marks [][32]byte
	if sid := form.Get("MessageSid"); sid != "" {
		marks = append(marks, mark("sid", sid))
	}
	if tok := r.Header.Get("I-Twilio-Idempotency-Token"); tok != "" {
		marks = append(marks, mark("token", tok))
	}
	if !ch.dedupe.first(now, marks...) {
		// A retry of a message we already answered. Its reply is not kept
		// (no text in memory beyond the request), so answer nothing.
		ch.c.Log.Info(ch.c.Kind.Name + " webhook: duplicate delivery")
		writeTwiML(w, "")
		return
	}

	raw, ok := strings.CutPrefix(form.Get("From"), ch.c.Kind.Prefix)
	from, err := ch.c.Normalize(raw, ch.c.Program.Region)
	if !ok || err != nil {
		// A short code or an alphanumeric sender: no one to answer.
		ch.c.Log.Info(ch.c.Kind.Name + " webhook: sender is not a phone number")
		writeTwiML(w, "")
		return
	}
	text := form.Get("Body")

	switch keywordOf(text) {
	case optOut:
		ch.c.Log.Info(ch.c.Kind.Name + " webhook: opt-out keyword")
		ch.cancelReminders(from, "opt-out")
		writeTwiML(w, "")
		return
	case optIn:
		writeTwiML(w, ch.text(ch.language(from, text, now), "sms.start", nil))
		return
	case help:
		writeTwiML(w, ch.text(ch.language(from, text, now), "sms.help", nil))
		return
	}

	if n, _ := strconv.Atoi(form.Get("NumMedia")); n > 0 {
		// P6: never downloaded, deleted at Twilio with the message.
		ch.c.Log.Info(ch.c.Kind.Name+" webhook: media received, deleting", "media", n)
		ch.deleteMessage(from, form.Get("MessageSid"))
		writeTwiML(w, ch.text(ch.language(from, text, now), "sms.mms", nil))
		return
	}

	if !ch.converse(w, from, text, now) {
		ch.dedupe.forget(marks...) // let Twilio's retry try again
	}
}

// ReadSigned reads a Twilio webhook's form and checks its signature over
// pub, the public URL Twilio called (see Signed), answering the request
// itself when it fails: 405 not a POST, 415 not a form, 413 over 64 KiB,
// 400 unreadable, 403 unsigned or forged. Only name and the kind of
// failure are logged, never the request (P3). ok is false when it
// answered.
func ReadSigned(w http.ResponseWriter, r *http.Request, token, pub string, log *slog.Logger, name string) (form url.Values, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		http.Error(w, "want application/x-www-form-urlencoded", http.StatusUnsupportedMediaType)
		return nil, false
	}
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		log.Warn(name + " webhook: missing signature")
		http.Error(w, "forbidden", http.StatusForbidden)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return nil, false
	}
	form, err = url.ParseQuery(string(body))
	if err != nil {
		log.Warn(name + " webhook: malformed form")
		http.Error(w, "malformed form", http.StatusBadRequest)
		return nil, false
	}
	if !Signed(token, pub, r, form, sig) {
		log.Warn(name + " webhook: bad signature")
		http.Error(w, "forbidden", http.StatusForbidden)
		return nil, false
	}
	return form, true
}

// Signed reports whether sig is Twilio's signature, under token, of the
// request r to the public URL pub (scheme, host and path as Twilio called
// them: configured, never taken from r.Host, which a TLS proxy changes)
// with r's query and the posted form. Every Twilio webhook (messages and
// calls) is checked with it.
func Signed(token, pub string, r *http.Request, form url.Values, sig string) bool {
	if r.URL.RawQuery != "" {
		pub += "?" + r.URL.RawQuery
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		params[k] = v[0]
	}
	v := client.NewRequestValidator(token)
	return v.Validate(pub, params, sig)
}

// text returns message id in lang with the program name available; a
// missing message is logged (by id only) and answered with nothing.
func (ch *Channel) text(lang, id string, data map[string]any) string {
	d := map[string]any{"Program": ch.c.Program.Name}
	for k, v := range data {
		d[k] = v
	}
	s, err := ch.c.Texts.Text(lang, id, d)
	if err != nil {
		ch.c.Log.Error(ch.c.Kind.Name+": message text", "id", id, "lang", lang, "err", err)
		return ""
	}
	return s
}

// writeTwiML answers with text, or nothing when text is empty: one
// message, or more when text is longer than Twilio takes in one (Split).
func writeTwiML(w http.ResponseWriter, text string) {
	var verbs []twiml.Element
	for _, part := range Split(text) {
		verbs = append(verbs, &twiml.MessagingMessage{Body: part})
	}
	doc, err := twiml.Messages(verbs)
	if err != nil {
		http.Error(w, "cannot render reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, doc)
}

// MaxLen is the longest body Twilio sends as one message, SMS or WhatsApp,
// in characters (UTF-16 code units, as Twilio counts them).
const MaxLen = 1600

// Split cuts text into messages of at most MaxLen characters, at the last
// line break that fits, else the last space, else between characters;
// none when text is blank. The engine's replies fit in one (a test checks
// every locale), so this is a safety net for a long text of the future.
func Split(text string) []string {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var out []string
	for utf16Len(text) > MaxLen {
		cut, n := 0, 0 // cut: the byte offset of the last rune that fits
		for i, r := range text {
			n += utf16.RuneLen(r)
			if n > MaxLen {
				break
			}
			cut = i + utf8.RuneLen(r)
		}
		at := strings.LastIndexByte(text[:cut], '\n')
		if at <= 0 {
			at = strings.LastIndexByte(text[:cut], ' ')
		}
		if at <= 0 {
			at = cut
		}
		if part := strings.TrimRight(text[:at], " \n"); part != "" {
			out = append(out, part)
		}
		text = strings.TrimLeft(text[at:], " \n")
	}
	if strings.TrimSpace(text) != "" {
		out = append(out, text)
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
