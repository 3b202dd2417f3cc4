package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/channels/whatsapp"
)

const (
	waSender     = "whatsapp:+13125550160" // the city's WhatsApp sender
	waTemplateES = "HX00000000000000000000000000000e50"
)

// TestWhatsAppEndToEnd runs bot serve with SMS and WhatsApp on, the real
// twilio-go pointed at the fake: a Spanish booking from "Hola" with its
// reminder as the Spanish Content template, a retried MessageSid acted on
// once, a forged signature refused, a picture deleted and never fetched,
// no reminder offered in a language without a template, and the same
// number's SMS "5" showing the WhatsApp booking and cancelling it, which
// cancels the WhatsApp reminder.
func TestWhatsAppEndToEnd(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	began := time.Now()
	fake := twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
	defer fake.Close()
	fake.Template(waTemplateES, "Recordatorio de CityKey: su cita {{1}} es el {{2}} en {{3}}. Traiga sus documentos.")

	e := newEnv(t)
	e.vars = append(e.vars,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+fake.URL,
		"TWILIO_WHATSAPP_FROM="+waSender,
		"TWILIO_WHATSAPP_TEMPLATES=es:"+waTemplateES,
		"CITA_PUBLIC_URL="+smsPublicURL,
	)
	srv := e.serveWith(t)
	addr := srv.addr

	lucia := &smsResident{t: t, fake: fake, base: "http://" + addr, number: "+13125550174",
		prefix: whatsapp.Prefix, path: whatsapp.Path}

	// "Hola": a newcomer, answered through the REST API from the WhatsApp
	// sender, in Spanish.
	if status, reply := lucia.say("Hola"); status != 200 || !strings.Contains(reply, "Pedir cita") {
		t.Fatalf("Hola: %d %q, want the Spanish menu", status, reply)
	}
	if sent := fake.SentTo(lucia.addr()); len(sent) == 0 || sent[0].From != waSender {
		t.Errorf("first reply %+v: want it sent from %s", sent, waSender)
	}
	// Book Tuesday 1 December, 9:00 at City Hall: one person, another
	// office than the earliest offered, City Hall, the day, the time.
	for _, step := range []string{"4", "1", "3", "1", "2", "1"} {
		if status, reply := lucia.say(step); status != 200 || reply == "" {
			t.Fatalf("booking step %s: %d %q", step, status, reply)
		}
	}
	_, booked := lucia.say("1")
	code := codeRE.FindString(booked)
	if code == "" || !strings.Contains(booked, "aviso un día antes") {
		t.Fatalf("booking reply lacks a code or the reminder question:\n%s", booked)
	}
	// "Sí, recuérdeme", delivered twice with one MessageSid: acted on once.
	yes := lucia.form("1", "SM0000000000000000000000000wa0yes")
	if status, reply := lucia.post(yes, ""); status != 200 || reply == "" {
		t.Errorf("reminder answer: %d %q", status, reply)
	}
	if status, reply := lucia.post(yes, ""); status != 200 || reply != "" {
		t.Errorf("duplicate delivery answered %d %q, want 200 and nothing", status, reply)
	}
	eventually(t, "the WhatsApp reminder", func() bool { return len(fake.Scheduled(lucia.addr())) == 1 })
	rem := fake.Scheduled(lucia.addr())[0]
	var vars map[string]string
	if err := json.Unmarshal([]byte(rem.ContentVariables), &vars); err != nil {
		t.Fatalf("ContentVariables %q: %v", rem.ContentVariables, err)
	}
	if rem.ContentSID != waTemplateES || vars["1"] != code || !strings.Contains(vars["2"], "9:00") ||
		!strings.Contains(vars["3"], "City Hall") || rem.Service != twiliotest.ServiceSID {
		t.Errorf("reminder %+v: want template %s with the code %s, the time and the office, through the Messaging Service", rem, waTemplateES, code)
	}
	if !strings.Contains(rem.Body, code) {
		t.Errorf("reminder as Twilio lists it %q lacks the code", rem.Body)
	}
	if want := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC); !rem.SendAt.Equal(want) {
		t.Errorf("reminder at %v, want %v (24h before 9:00 CST)", rem.SendAt, want)
	}
	if n := scheduledCreates(fake); n != 1 {
		t.Errorf("%d reminders created, want 1 despite the duplicate", n)
	}

	// A forged signature: 403, no Twilio call.
	before := len(fake.Requests())
	if status, _ := lucia.post(lucia.form("STOP", "SM0000000000000000000000000waforged"), "AAAAAAAAAAAAAAAAAAAAAAAAAAA="); status != http.StatusForbidden {
		t.Errorf("forged signature: %d, want 403", status)
	}
	// A WhatsApp webhook signed over the SMS path is forged too.
	if status, _ := lucia.post(lucia.form("STOP", "SM000000000000000000000000wapath"),
		twiliotest.Sign(twiliotest.AuthToken, smsPublicURL+"/webhooks/twilio/sms", lucia.form("STOP", "SM000000000000000000000000wapath"))); status != http.StatusForbidden {
		t.Errorf("signature over the SMS path: %d, want 403", status)
	}

	// A picture: never fetched, deleted at Twilio, told to come in person.
	pic := lucia.sendPicture(1, "en persona", t0)
	if n := len(fake.Requests()) - before; n == 0 {
		t.Error("no Twilio call after the picture: the deletion was not made")
	}

	// English has no template: no reminder offered on WhatsApp.
	ed := &smsResident{t: t, fake: fake, base: "http://" + addr, number: "+13125550176",
		prefix: whatsapp.Prefix, path: whatsapp.Path}
	for _, step := range []string{"Hi", "4", "1", "3", "1", "2", "1"} {
		if status, reply := ed.say(step); status != 200 || reply == "" {
			t.Fatalf("Ed's step %s: %d %q", step, status, reply)
		}
	}
	if _, reply := ed.say("1"); codeRE.FindString(reply) == "" || strings.Contains(reply, "remind") {
		t.Errorf("English WhatsApp booking %q: want a code and no reminder offered", reply)
	}

	// The same number by SMS is the same resident: "5" shows the booking,
	// and cancelling it there cancels the WhatsApp reminder.
	// (Its MessageSids go on from Lucía's: one number, one series.)
	bySMS := &smsResident{t: t, fake: fake, base: "http://" + addr, number: lucia.number, seq: 100}
	if _, reply := bySMS.say("5"); !strings.Contains(reply, code) {
		t.Fatalf("SMS 5 from the WhatsApp number %q: want the booking %s", reply, code)
	}
	bySMS.say("2") // anular
	if _, reply := bySMS.say("1"); !strings.Contains(reply, "anulada") {
		t.Errorf("SMS cancel: %q", reply)
	}
	eventually(t, "the WhatsApp reminder cancelled from SMS", func() bool {
		m, _ := fake.Message(rem.SID)
		return m.Status == "canceled"
	})

	// STOP on WhatsApp: nothing said.
	if status, reply := lucia.say("STOP"); status != 200 || reply != "" {
		t.Errorf("STOP answered %d %q, want 200 and nothing", status, reply)
	}
	e.stop(t, srv)

	// No number, in any spelling (whatsapp: included), in any log.
	for _, n := range []string{"(312) 555-0174", "(312) 555-0176"} {
		for _, s := range spellings(n) {
			if bytes.Contains(e.logs.Bytes(), []byte(s)) {
				t.Errorf("logs hold %q", s)
			}
		}
	}
	for _, s := range []string{twiliotest.AuthToken, pic, waTemplateES, code} {
		if bytes.Contains(e.logs.Bytes(), []byte(s)) {
			t.Errorf("logs hold a secret, a SID or a code %q", s)
		}
	}
}

// TestWhatsAppMisconfigured: bot serve refuses a WhatsApp setting it
// cannot use, names the variable, and never repeats the value.
func TestWhatsAppMisconfigured(t *testing.T) {
	twilioVars := []string{
		"TWILIO_ACCOUNT_SID=" + twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN=" + twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID=" + twiliotest.ServiceSID,
		"CITA_PUBLIC_URL=" + smsPublicURL,
	}
	for _, tc := range []struct {
		name   string
		vars   []string
		want   string
		secret string // must not be echoed
	}{
		{"no Twilio account", []string{"TWILIO_WHATSAPP_FROM=" + waSender}, "TWILIO_ACCOUNT_SID is not", ""},
		{"sender without whatsapp:", append(twilioVars, "TWILIO_WHATSAPP_FROM=+13125550161"), "TWILIO_WHATSAPP_FROM", "5550161"},
		{"template of another language", append(twilioVars, "TWILIO_WHATSAPP_FROM="+waSender, "TWILIO_WHATSAPP_TEMPLATES=xx:"+waTemplateES), "TWILIO_WHATSAPP_TEMPLATES", waTemplateES},
		{"not a ContentSid", append(twilioVars, "TWILIO_WHATSAPP_FROM="+waSender, "TWILIO_WHATSAPP_TEMPLATES=es:HX12"), "TWILIO_WHATSAPP_TEMPLATES", "HX12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.vars = append(e.vars, tc.vars...)
			out, code := e.run("", "serve", "--addr", "127.0.0.1:0")
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want an error naming %s:\n%s", code, tc.want, out)
			}
			if tc.secret != "" && strings.Contains(out, tc.secret) {
				t.Errorf("the error repeats the value:\n%s", out)
			}
		})
	}
}
