package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// TestRotateKeyTelegramSharedNumber is the regression test of issue 14: a
// Telegram chat that shared its number before a key rotation books after
// the old epoch is destroyed. The booking must be under the live epoch
// (once, the Telegram channel kept the chat's hashes outside the keyring,
// and booked under the destroyed key), SMS "5" from the same number finds
// it, and a second booking from either channel is refused.
//
// bot serve rotates only on its own schedule (bot jobs run cannot open the
// database it holds), so the schedule runs every second here, and the test
// makes the rotation due by rewriting the key file with the same secret
// dated 60 days back: the next run adds epoch 2 and the one after, no
// appointment using epoch 1, destroys it.
func TestRotateKeyTelegramSharedNumber(t *testing.T) {
	const (
		chat   int64 = 581994431
		number       = "+13125550178"
	)
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	began := time.Now()
	fake := twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
	defer fake.Close()
	api := telegramtest.NewServer()
	defer api.Close()

	e := newEnv(t)
	e.vars = append(e.vars,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+fake.URL,
		"CITA_PUBLIC_URL="+smsPublicURL,
		"TELEGRAM_BOT_TOKEN="+telegramtest.Token,
		"TELEGRAM_API_ENDPOINT="+api.Endpoint(),
		"CITA_RETENTION_SPEC=@every 1s",
	)
	keys, err := readKeys(e.keyFile)
	if err != nil || len(keys) != 1 || keys[0].Epoch != 1 {
		t.Fatalf("key file after keygen: %v, %v", keys, err)
	}
	k1 := keys[0]
	srv := e.serveWith(t)

	// The resident shares their number under epoch 1 (hashed then, as a
	// first message), and gets the share confirmation.
	api.Enqueue(api.Contact(chat, chat, chat, "en", number[1:]))
	if !api.WaitFor(20*time.Second, func() bool {
		for _, m := range api.Messages(chat) {
			if m.FromBot && strings.HasPrefix(m.Text, "Shared") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no answer to the contact: %+v", api.Messages(chat))
	}

	// Make the rotation due, and wait until epoch 1 is gone from the file
	// (the running keyring drops it before the file does).
	old := k1
	old.Created = scheduling.DateOf(t0).AddDays(-60)
	if err := identity.WriteKeyFile(identity.OS, e.keyFile, []identity.Key{old}); err != nil {
		t.Fatal(err)
	}
	var live []identity.Key
	if !pollUntil(20*time.Second, func() bool {
		live, err = readKeys(e.keyFile)
		return err == nil && len(live) == 1 && live[0].Epoch == 2
	}) {
		t.Fatalf("epoch 1 not destroyed: key file holds %v (%v)", epochList(live), err)
	}

	// The chat books after the destruction.
	r := &resident{t: t, api: api, id: chat, lang: "en"}
	cal, _ := r.book("1")
	code := uidCode(cal)
	if code == "" {
		t.Fatal("no confirmation code in the calendar file")
	}

	// A second booking from Telegram is refused.
	last := 0
	for _, m := range api.Messages(chat) {
		last = max(last, m.ID)
	}
	api.Enqueue(api.Text(chat, chat, "en", "4")) // typed, as on SMS: the main menu's "book"
	var refused telegramtest.Message
	if !api.WaitFor(20*time.Second, func() bool {
		for _, m := range api.Messages(chat) {
			if m.FromBot && m.ID > last && strings.Contains(m.Text, "already have an appointment") {
				refused = m
				return true
			}
		}
		return false
	}) {
		t.Fatalf("a second Telegram booking not refused: %+v", api.Messages(chat))
	}
	if !strings.Contains(refused.Text, code) {
		t.Errorf("refusal %q does not show %s", refused.Text, code)
	}

	// SMS "5" from the same number finds it. The conversation is the
	// resident's, whichever channel they write on: it stands where the
	// Telegram refusal left it, so "menu" first.
	phone := &smsResident{t: t, fake: fake, base: "http://" + srv.addr, number: number}
	phone.say("menu")
	if status, reply := phone.say("5"); status != 200 || !strings.Contains(reply, code) {
		t.Errorf("SMS 5 from the shared number: %d %q, want the Telegram booking %s", status, reply, code)
	}

	// And one from SMS.
	phone.say("menu")
	if _, reply := phone.say("4"); !strings.Contains(reply, "already have an appointment") || !strings.Contains(reply, code) {
		t.Errorf("SMS 4 after the Telegram booking: %q, want it refused with %s", reply, code)
	}
	e.stop(t, srv)

	// The database: one appointment, under epoch 2, with the hash of the
	// number under the live key.
	h, err := identity.NewHasher(live, identity.Params{Memory: 1024, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("code=%q", code)
	id := h.Hash(number, live[0])
	wantID := fmt.Sprintf("identity=epoch 2 hash %x", id.Hash)
	out, exit := e.run("", "inspect")
	if exit != 0 {
		t.Fatalf("inspect: exit %d\n%s", exit, out)
	}
	if n := strings.Count(out, " identity=epoch "); n != 1 || !strings.Contains(out, want+" ") || !strings.Contains(out, wantID) {
		t.Errorf("inspect: want one appointment %s with %s:\n%s", want, wantID, out)
	}
	if !strings.Contains(out, "epoch 2 created") || strings.Contains(out, "epoch 1 created") {
		t.Errorf("inspect: want epoch 2 alone in the key file:\n%s", out)
	}

	// Nothing identifying in the output of any run.
	for _, s := range append(spellings("(312) 555-0178"), fmt.Sprint(chat)) {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("output holds %q", s)
		}
	}
	if fi, err := os.Stat(e.keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after rotation: %v, %v", fi, err)
	}
}

// pollUntil polls cond every 20 ms until it holds or timeout passes.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func epochList(keys []identity.Key) []uint32 {
	var e []uint32
	for _, k := range keys {
		e = append(e, k.Epoch)
	}
	return e
}

// TestChatAsPhoneRules: bot chat --as follows identity.NormalizePhone's
// rules (docs in the README, "Phone numbers"): an extension, a tel: URI,
// a doubled '+' name the same resident as the plain number, a new area
// code is accepted, and a refused number is never repeated in the error.
func TestChatAsPhoneRules(t *testing.T) {
	e := newEnv(t)
	out, exit := e.run("4\n1\n1\n", "chat", "--as", "312-555-0142 x7")
	if exit != 0 {
		t.Fatalf("chat --as with an extension: exit %d:\n%s", exit, out)
	}
	codes := e.dayCodes("2026-11-30")
	if len(codes) != 1 {
		t.Fatalf("%d appointments booked, want 1:\n%s", len(codes), out)
	}
	for _, as := range []string{"tel:+1-312-555-0142", "++1 312 555 0142", "+13125550142;ext=7", "(312) 555-0142, ext. 7"} {
		t.Run("finds "+as, func(t *testing.T) {
			out, exit := e.run("5\n", "chat", "--as", as)
			if exit != 0 || !strings.Contains(out, codes[0]) {
				t.Errorf("chat --as %q (exit %d) does not show %s:\n%s", as, exit, codes[0], out)
			}
		})
	}
	t.Run("new area code", func(t *testing.T) {
		out, exit := e.run("5\n", "chat", "--as", "(274) 555-0142")
		if exit != 0 || strings.Contains(out, codes[0]) {
			t.Errorf("chat --as a 274 number: exit %d, want 0 and not the 312 number's appointment:\n%s", exit, out)
		}
	})
	for _, as := range []string{"312-555-0142 x7 please", "1-800-FLOWERS", "tel:+13125550142;phone-context=example.com", "(112) 555-0142"} {
		t.Run("refuses "+as, func(t *testing.T) {
			out, exit := e.run("5\n", "chat", "--as", as)
			if exit != 2 || !strings.Contains(out, "not a phone number") {
				t.Errorf("chat --as %q: exit %d, want 2 and \"not a phone number\":\n%s", as, exit, out)
			}
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, as)
			if strings.Contains(out, as) || strings.Contains(out, digits[max(0, len(digits)-4):]) {
				t.Errorf("the error repeats the input:\n%s", out)
			}
		})
	}
}

// TestRetentionSpecRefused: a schedule cron cannot read stops bot serve at
// start, naming the variable, rather than leaving keys unrotated.
func TestRetentionSpecRefused(t *testing.T) {
	e := newEnv(t)
	e.vars = append(e.vars, "CITA_RETENTION_SPEC=every evening")
	out, exit := e.run("", "serve", "--addr", freeAddr(t))
	if exit == 0 || !strings.Contains(out, "CITA_RETENTION_SPEC") {
		t.Errorf("serve with a bad CITA_RETENTION_SPEC: exit %d:\n%s", exit, out)
	}
}
