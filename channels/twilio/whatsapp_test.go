package twilio

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cita-city/cita/conversations"
)

// waKind is a WhatsApp channel's kind with a Spanish template only, as
// channels/whatsapp builds it.
var waKind = Kind{Name: "whatsapp", Path: "/webhooks/twilio/whatsapp", Prefix: WhatsAppPrefix,
	Templates: map[string]string{"es": waTemplate}}

const waTemplate = "HX0000000000000000000000000000es01"

func newWhatsAppFixture(t *testing.T, others []string) *fixture {
	t.Helper()
	f := newFixtureOf(t, hasher{}, nil, waKind, others)
	f.twilio.Template(waTemplate, "Recordatorio: cita {{1}}, {{2}}, {{3}}.")
	return f
}

// The resident is the number without "whatsapp:", the same as on SMS; a
// sender without the prefix is not a WhatsApp user and gets nothing.
func TestWhatsAppSenderIsTheNumber(t *testing.T) {
	for _, tc := range []struct {
		name, from string
		handled    bool
	}{
		{"whatsapp address", "whatsapp:" + resident, true},
		{"bare number on the WhatsApp path", resident, false},
		{"prefix of another channel", "messenger:" + resident, false},
		{"prefix and no number", "whatsapp:", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newWhatsAppFixture(t, nil)
			form := inbound("SM"+strings.ReplaceAll(tc.name, " ", ""), "Hola")
			form.Set("From", tc.from)
			form.Set("To", "whatsapp:"+cityNum)
			status, body := f.post(form, formType, "", nil)
			f.ch.Drain()
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			if got := f.eng.calls(); got != map[bool]int{true: 1, false: 0}[tc.handled] {
				t.Fatalf("engine called %d times, handled=%v", got, tc.handled)
			}
			if tc.handled && f.eng.got[0].Identity.Hash != sha256.Sum256([]byte(resident)) {
				t.Error("the engine got the identity of another address than the bare number")
			}
		})
	}
}

// A WhatsApp reminder is the language's Content template, with the code,
// day and time and office as variables; asking again keeps it (Twilio
// lists it rendered), a language without a template gets none, and a
// cancel finds it.
func TestWhatsAppTemplatedReminder(t *testing.T) {
	f := newWhatsAppFixture(t, nil)
	a := appointment(t, 2, 10) // Spanish, K7P2QX
	f.say("SM81", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	wa := WhatsAppPrefix + resident
	got := f.twilio.Scheduled(wa)
	if len(got) != 1 {
		t.Fatalf("%d reminders scheduled to the WhatsApp address, want 1", len(got))
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(got[0].ContentVariables), &vars); err != nil {
		t.Fatal(err)
	}
	if got[0].ContentSID != waTemplate || vars["1"] != a.Code || !strings.Contains(vars["2"], "10:00") || vars["3"] == "" {
		t.Errorf("reminder %+v: want template %s with code, day and time, office", got[0], waTemplate)
	}
	if !strings.Contains(got[0].Body, a.Code) {
		t.Errorf("listed body %q lacks the code: reconciliation could not find it", got[0].Body)
	}
	f.say("SM82", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	if n := len(f.twilio.Scheduled(wa)); n != 1 || f.twilio.Scheduled(wa)[0].SID != got[0].SID {
		t.Errorf("asking again: %d reminders, want the same one kept", n)
	}

	f.say("SM83", conversations.Effect{Kind: conversations.Cancelled, Appointment: a})
	if n := len(f.twilio.Scheduled(wa)); n != 0 {
		t.Errorf("%d reminders left after a cancel", n)
	}

	en := a
	en.Lang = "en"
	f.say("SM84", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: en})
	if n := len(f.twilio.Scheduled(wa)); n != 0 {
		t.Errorf("%d reminders in a language without a template, want none", n)
	}
	for _, lang := range []string{"es", "en"} {
		if got, want := f.ch.Reminds(lang), lang == "es"; got != want {
			t.Errorf("Reminds(%s) = %v, want %v", lang, got, want)
		}
	}
}

// A cancel on SMS finds the reminder the resident made on WhatsApp, and
// "delete my data" there deletes their WhatsApp messages.
func TestSMSFindsWhatsAppReminders(t *testing.T) {
	wa := newWhatsAppFixture(t, []string{""})
	a := appointment(t, 2, 10)
	wa.say("SM85", conversations.Effect{Kind: conversations.ReminderWanted, Appointment: a})
	rem := wa.twilio.Scheduled(WhatsAppPrefix + resident)
	if len(rem) != 1 {
		t.Fatalf("%d WhatsApp reminders, want 1", len(rem))
	}

	// The SMS channel of the same account.
	c := wa.ch.c
	c.Kind, c.OtherPrefixes = smsKind, []string{WhatsAppPrefix}
	smsCh, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	defer smsCh.Close()
	sms := *wa
	sms.ch = smsCh
	sms.say("SM86", conversations.Effect{Kind: conversations.Cancelled, Appointment: a})
	if m, _ := wa.twilio.Message(rem[0].SID); m.Status != "canceled" {
		t.Errorf("WhatsApp reminder %q after an SMS cancel, want canceled", m.Status)
	}

	in := wa.twilio.Receive(WhatsAppPrefix+resident, WhatsAppPrefix+cityNum, "Hola", 0, testNow)
	sms.say("SM87", conversations.Effect{Kind: conversations.Forgotten})
	if _, ok := wa.twilio.Message(in); ok {
		t.Error("delete my data on SMS left the resident's WhatsApp message at Twilio")
	}
}

func TestSplit(t *testing.T) {
	long := strings.Repeat("Línea de texto con acentos.\n", 100) // 2,800 characters
	emoji := strings.Repeat("😀", 1000)                           // 2,000 UTF-16 units, no break
	for _, tc := range []struct {
		name  string
		text  string
		parts int
	}{
		{"empty", "", 0},
		{"blank", " \n ", 0},
		{"short", "Hola", 1},
		{"exactly the limit", strings.Repeat("a", MaxLen), 1},
		{"one over, no break", strings.Repeat("a", MaxLen+1), 2},
		{"lines", long, 2},
		{"surrogate pairs", emoji, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := Split(tc.text)
			if len(parts) != tc.parts {
				t.Fatalf("%d parts, want %d", len(parts), tc.parts)
			}
			var joined int
			for _, p := range parts {
				if n := len(utf16.Encode([]rune(p))); n > MaxLen || n == 0 {
					t.Errorf("part of %d UTF-16 units", n)
				}
				joined += len([]rune(strings.TrimSpace(p)))
			}
			if tc.name == "surrogate pairs" && joined != 1000 {
				t.Errorf("%d emoji kept of 1000", joined)
			}
		})
	}
}

// The redact job covers the account's WhatsApp messages and pictures.
func TestRedactCoversWhatsApp(t *testing.T) {
	f := newWhatsAppFixture(t, nil)
	old := f.twilio.Receive(WhatsAppPrefix+resident, WhatsAppPrefix+cityNum, "", 1, testNow.Add(-2*time.Hour))
	recent := f.twilio.Receive(WhatsAppPrefix+resident, WhatsAppPrefix+cityNum, "Hola", 0, testNow.Add(-time.Minute))
	n, err := f.ch.Redact(testNow, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("Redact = %d, %v; want 1 deleted", n, err)
	}
	if _, ok := f.twilio.Message(old); ok {
		t.Error("an old WhatsApp message is still at Twilio")
	}
	if _, ok := f.twilio.Message(recent); !ok {
		t.Error("a recent WhatsApp message was deleted")
	}
	if f.twilio.MediaFetched() != 0 {
		t.Error("a picture was downloaded")
	}
}

// activeCodes stands in for the store: these codes are active.
type activeCodes map[string]bool

func (a activeCodes) Active([]string) (map[string]bool, error) { return a, nil }

// Reconciliation finds a WhatsApp reminder by the code in its rendered
// text, as Twilio lists a templated message.
func TestReconcileCoversWhatsApp(t *testing.T) {
	f := newWhatsAppFixture(t, nil)
	gone, kept := appointment(t, 2, 10), appointment(t, 3, 14)
	kept.Code = "M4W9ZT"
	f.scheduleReminder(WhatsAppPrefix+resident, gone)
	f.scheduleReminder(WhatsAppPrefix+neighbour, kept)
	goneSID := f.twilio.Scheduled(WhatsAppPrefix + resident)[0].SID
	if m := f.twilio.Scheduled(WhatsAppPrefix + neighbour); len(m) != 1 || m[0].ContentSID != waTemplate {
		t.Fatalf("reminders at the fake: %+v, want a templated one", m)
	}
	rep, err := f.ch.Reconcile(t.Context(), activeCodes{kept.Code: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cancelled != 1 || rep.Kept != 1 || rep.Deleted != 1 {
		t.Errorf("reconcile: %v; want the gone one cancelled and deleted, the other kept", rep)
	}
	if _, ok := f.twilio.Message(goneSID); ok {
		t.Error("the gone appointment's WhatsApp reminder is still at Twilio")
	}
}
