package twilio

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/scheduling"
)

// Language is the scripted engine's idea of the resident's language: the
// language its reply would be in, asked without handling a message.
func (e *engine) Language(in conversations.Inbound, now time.Time) string {
	e.mu.Lock()
	reply := e.reply
	e.mu.Unlock()
	if reply == nil {
		return "en"
	}
	return reply(in).Lang
}

// TestChannelTextsInResidentsLanguage: HELP, START and MMS are answered by
// the channel, not the engine, yet in the language the engine knows the
// resident by (their session's, their appointment's, their words').
func TestChannelTextsInResidentsLanguage(t *testing.T) {
	tests := []struct {
		label string
		body  string
		media string
		want  string // in Spanish
	}{
		{"help", "help", "0", "la identificación municipal"},
		{"info, spaced", " INFO ", "0", "la identificación municipal"},
		{"start", "Start", "0", "Bienvenido de nuevo"},
		{"mms", "mi pasaporte", "1", "Nunca abrimos fotos"},
	}
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			f := newFixture(t)
			var mu sync.Mutex
			var asked []scheduling.Identity
			f.eng.reply = func(in conversations.Inbound) conversations.Reply {
				mu.Lock()
				defer mu.Unlock()
				asked = append(asked, in.Identity, in.Aliases[0])
				return conversations.Reply{Lang: "es", Text: "Menú"}
			}
			form := inbound("SM70", tc.body)
			form.Set("NumMedia", tc.media)
			status, body := f.post(form, formType, "", nil)
			if status != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, reply %s; want Spanish %q", status, body, tc.want)
			}
			if n := f.eng.calls(); n != 0 {
				t.Errorf("engine handled %d messages, want 0: the channel answers", n)
			}
			ids, _ := hasher{}.Identities(resident, f.now)
			mu.Lock()
			defer mu.Unlock()
			if len(asked) != 2 || asked[0] != ids[0] || asked[1] != ids[1] {
				t.Errorf("engine asked about %v, want the resident's identities %v", asked, ids)
			}
		})
	}
}

// TestStopAsksNothing: an opt-out sends nothing, so it needs no language.
func TestStopAsksNothing(t *testing.T) {
	f := newFixture(t)
	f.eng.reply = func(conversations.Inbound) conversations.Reply {
		t.Error("engine asked on STOP")
		return conversations.Reply{}
	}
	if status, body := f.post(inbound("SM71", "STOP"), formType, "", nil); status != 200 || strings.Contains(body, "<Message>") {
		t.Errorf("STOP: status %d, reply %s", status, body)
	}
	f.ch.Drain()
}
