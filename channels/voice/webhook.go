package voice

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/twiml"

	"github.com/cita-city/cita/channels/twilio"
)

// The follow-ups under Path.
const (
	keyPath    = Path + "/key"    // keys pressed (Gather's action)
	waitPath   = Path + "/wait"   // the call held for the identity stretch
	statusPath = Path + "/status" // the call ended (the number's status callback)
)

// ServeHTTP serves Twilio's voice webhooks: POST Path for an incoming
// call, Path/key for keys pressed, Path/wait while the caller's identity
// is stretched, Path/status when the call ends. Each is signed over
// PublicURL + path + query. Nothing from the request is logged (P3).
func (ch *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Signed over the path Twilio called: the call's follow-ups live under Path.
	form, ok := twilio.ReadSigned(w, r, ch.c.AuthToken, ch.c.PublicURL+r.URL.Path, ch.c.Log, "voice")
	if !ok {
		return
	}
	sid := form.Get("CallSid")
	if sid == "" {
		http.Error(w, "no CallSid", http.StatusBadRequest)
		return
	}
	now := ch.c.Now()
	step, _ := strconv.Atoi(r.URL.Query().Get("n"))
	var p Prompt
	switch r.URL.Path {
	case keyPath, waitPath:
		if ch.get(sid) == nil {
			// A call this process does not know (it restarted): Twilio
			// sends the caller's From with every webhook, so start over.
			p = ch.Start(sid, form.Get("From"), now)
			break
		}
		if r.URL.Path == keyPath {
			p = ch.Press(sid, step, form.Get("Digits"), now)
		} else {
			p = ch.Wait(sid, step, now)
		}
	case Path:
		p = ch.Start(sid, form.Get("From"), now)
	case statusPath:
		if s := form.Get("CallStatus"); s == "completed" || s == "busy" || s == "failed" || s == "no-answer" || s == "canceled" {
			ch.End(sid)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		http.NotFound(w, r)
		return
	}
	if p.Hangup {
		ch.End(sid)
	}
	doc, err := ch.TwiML(p)
	if err != nil {
		ch.c.Log.Error("voice webhook: cannot render TwiML")
		http.Error(w, "cannot render reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, doc)
}

// TwiML renders p: its sentences inside a DTMF <Gather> whose action is
// on the public URL, or followed by a <Pause> and <Redirect> (waiting) or
// <Hangup>. Every <Say> names its language (and voice, if any).
func (ch *Channel) TwiML(p Prompt) (string, error) {
	var says []twiml.Element
	for _, s := range p.Says {
		if strings.TrimSpace(s.Text) == "" {
			continue
		}
		v := ch.voice(s.Lang)
		says = append(says, &twiml.VoiceSay{Message: s.Text, Language: v.Language, Voice: v.Name})
	}
	n := strconv.Itoa(p.Step)
	var verbs []twiml.Element
	switch {
	case p.Keys:
		g := &twiml.VoiceGather{
			Input:               "dtmf",
			Action:              ch.c.PublicURL + keyPath + "?n=" + n,
			Method:              http.MethodPost,
			Timeout:             "6",
			ActionOnEmptyResult: "true",
			InnerElements:       says,
		}
		if p.Multi {
			g.Timeout, g.FinishOnKey = "3", "#"
		} else {
			g.NumDigits = "1"
		}
		verbs = append(verbs, g)
	case p.Wait:
		verbs = append(verbs, says...)
		verbs = append(verbs, &twiml.VoicePause{Length: "1"},
			&twiml.VoiceRedirect{Url: ch.c.PublicURL + waitPath + "?n=" + n, Method: http.MethodPost})
	default:
		verbs = append(verbs, says...)
		verbs = append(verbs, &twiml.VoiceHangup{})
	}
	return twiml.Voice(verbs)
}

// voice returns how lang is read: Config.Voices, else DefaultVoices, else
// the language code alone.
func (ch *Channel) voice(lang string) Voice {
	if v, ok := ch.c.Voices[lang]; ok && v.Language != "" {
		return v
	}
	if v, ok := DefaultVoices[lang]; ok {
		return v
	}
	return Voice{Language: lang}
}

// DefaultVoices are the voices Twilio offers for the program's languages:
// Amazon Polly neural voices where Polly has the language, Google voices
// where only Google does (Filipino, Ukrainian, Urdu, Gujarati,
// Vietnamese). See the README's "Phone calls" section.
var DefaultVoices = map[string]Voice{
	"en": {"en-US", "Polly.Joanna-Neural"},
	"es": {"es-US", "Polly.Lupe-Neural"},
	"pl": {"pl-PL", "Polly.Ola-Neural"},
	"zh": {"cmn-CN", "Polly.Zhiyu-Neural"},
	"ar": {"arb", "Polly.Zeina"},
	"fr": {"fr-FR", "Polly.Lea-Neural"},
	"tl": {"fil-PH", "Google.fil-PH-Standard-A"},
	"uk": {"uk-UA", "Google.uk-UA-Standard-A"},
	"ko": {"ko-KR", "Polly.Seoyeon-Neural"},
	"ru": {"ru-RU", "Polly.Tatyana"},
	"ur": {"ur-IN", "Google.ur-IN-Standard-A"},
	"hi": {"hi-IN", "Polly.Kajal-Neural"},
	"gu": {"gu-IN", "Google.gu-IN-Standard-A"},
	"vi": {"vi-VN", "Google.vi-VN-Standard-A"},
}
