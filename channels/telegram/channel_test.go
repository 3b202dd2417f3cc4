package telegram

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// menu is a reply with three choices.
func menu(in conversations.Inbound) conversations.Reply {
	lang := in.LangHint
	if lang == "" {
		lang = "en"
	}
	return conversations.Reply{Lang: lang, Text: "What would you like to do?", Choices: []conversations.Choice{
		{ID: "book", Label: "Book an appointment"},
		{ID: "appointment", Label: "My appointment"},
		{ID: "0", Label: "Delete my data"},
	}}
}

func TestButtonsEchoAndAnswer(t *testing.T) {
	f := newFixture(t)
	f.engine.reply = func(in conversations.Inbound) conversations.Reply {
		if in.Choice == "book" {
			return conversations.Reply{Lang: "en", Text: "Which office?", Choices: []conversations.Choice{{ID: "office:city-hall", Label: "City Hall"}}}
		}
		return menu(in)
	}
	f.deliver(t, f.api.Text(ana, ana, "en", "/start"))
	f.settle(t)
	first, ok := f.api.Last(ana)
	// The last message is the share-my-phone offer; the menu comes before.
	msgs := f.api.Messages(ana)
	var menuMsg telegramtest.Message
	for _, m := range msgs {
		if len(m.Buttons) > 0 {
			menuMsg = m
		}
	}
	if !ok || menuMsg.ID == 0 {
		t.Fatalf("no message with buttons: %+v", msgs)
	}
	if got := f.engine.inbound()[0]; got.Text != "start" || got.Choice != "" {
		t.Errorf("engine got text %q choice %q, want the command word start", got.Text, got.Choice)
	}
	wantButtons := [][]telegramtest.Button{{{Text: "Book an appointment", Data: "book"}}, {{Text: "My appointment", Data: "appointment"}}, {{Text: "Delete my data", Data: "0"}}}
	if !sameButtons(menuMsg.Buttons, wantButtons) {
		t.Errorf("buttons %+v, want %+v", menuMsg.Buttons, wantButtons)
	}
	if len(first.Keyboard) != 1 || !first.Keyboard[0][0].RequestContact {
		t.Errorf("share offer %+v lacks a request_contact button", first)
	}

	f.deliver(t, f.api.Press(ana, ana, "en", menuMsg.ID, "book"))
	f.settle(t)
	if got := f.engine.inbound()[1]; got.Choice != "book" || got.Text != "" {
		t.Errorf("engine got choice %q text %q, want choice book", got.Choice, got.Text)
	}
	if n := len(f.api.Requests("answerCallbackQuery")); n != 1 {
		t.Errorf("%d callback answers, want 1", n)
	}
	reply, _ := f.api.Last(ana)
	if !strings.HasPrefix(reply.Text, "› Book an appointment\n\nWhich office?") {
		t.Errorf("reply %q does not echo the choice first", reply.Text)
	}
	for _, m := range f.api.Messages(ana) {
		if m.ID == menuMsg.ID && len(m.Buttons) != 0 {
			t.Errorf("the pressed menu still has buttons %+v", m.Buttons)
		}
	}
}

func sameButtons(a, b [][]telegramtest.Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestLanguageHint(t *testing.T) {
	tests := []struct {
		name, code, hint, offer string
	}{
		{"spanish", "es", "es", "Opcional: comparta"},
		{"regional spanish", "es-MX", "es", "Opcional: comparta"},
		{"english", "en", "en", "Optional: share"},
		{"no locale: program default", "xx", "xx", "Optional: share"},
		{"none", "", "", "Optional: share"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.engine.reply = func(in conversations.Inbound) conversations.Reply {
				r := menu(in)
				if in.LangHint != "es" {
					r.Lang = "en"
				}
				return r
			}
			chat := ana + int64(i)
			f.deliver(t, f.api.Text(chat, chat, tc.code, "hola"))
			f.settle(t)
			if got := f.engine.inbound()[0].LangHint; got != tc.hint {
				t.Errorf("LangHint %q, want %q", got, tc.hint)
			}
			last, _ := f.api.Last(chat)
			if !strings.HasPrefix(last.Text, tc.offer) {
				t.Errorf("share offer %q, want it to start %q", last.Text, tc.offer)
			}
		})
	}
}

func TestMediaDeletedUnopenedAndAnswered(t *testing.T) {
	tests := []struct {
		name  string
		build func(api *telegramtest.Server) telegramtest.Update
		lang  string
		want  string
	}{
		{"photo", func(api *telegramtest.Server) telegramtest.Update { return api.Photo(ana, ana, "en") }, "en", "Please don't send photos or files"},
		{"document in spanish", func(api *telegramtest.Server) telegramtest.Update { return api.Document(ana, ana, "es") }, "es", "Por favor no envíe fotos"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.deliver(t, tc.build(f.api))
			f.settle(t)
			msgs := f.api.Messages(ana)
			if len(msgs) != 2 || !msgs[0].Deleted || msgs[0].FromBot {
				t.Fatalf("messages %+v, want the resident's deleted and one answer", msgs)
			}
			if !strings.HasPrefix(msgs[1].Text, tc.want) {
				t.Errorf("answer %q, want %q...", msgs[1].Text, tc.want)
			}
			if n := len(f.engine.inbound()); n != 0 {
				t.Errorf("engine saw %d messages, want none", n)
			}
			for _, r := range f.api.Requests() {
				if r.Method == "getFile" {
					t.Errorf("the channel asked for the file")
				}
			}
		})
	}
}

func TestContactShareLinksPhoneIdentity(t *testing.T) {
	key, err := identity.NewKey(1, scheduling.Date{Year: 2026, Month: 11, Day: 1}, strings.NewReader(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]identity.Key{key}, identity.Params{Memory: 64, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const phone = "13125550142" // as Telegram sends it: international, no +
	sms, err := hasher.Identities("+1"+phone[1:], t0)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := hasher.Identities(identity.TelegramAddress(ana), t0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		contactUser int64
		wantID      scheduling.Identity
		wantReply   string
	}{
		// Someone else's contact must not let a resident take over their
		// appointments.
		{"someone else's contact", bruno, tg[0], "Please share your own number"},
		{"own contact", ana, sms[0], "Shared: your phone links your bookings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.IDs = hasherIDs{hasher} })
			f.deliver(t, f.api.Contact(ana, ana, tc.contactUser, "en", phone))
			f.deliver(t, f.api.Text(ana, ana, "en", "5"))
			f.settle(t)
			msgs := f.api.Messages(ana)
			if !msgs[0].Deleted || msgs[0].Kind != "contact" {
				t.Errorf("the contact message was not deleted at Telegram")
			}
			var answer string
			for _, m := range msgs {
				if m.FromBot {
					answer = m.Text
					break
				}
			}
			if !strings.HasPrefix(answer, tc.wantReply) {
				t.Errorf("answer to the contact %q, want %q...", answer, tc.wantReply)
			}
			if got := f.engine.inbound()[0].Identity; got != tc.wantID {
				t.Errorf("identity after the share is not the expected one")
			}
			if strings.Contains(f.logs.String(), "5550142") {
				t.Errorf("log holds the number:\n%s", f.logs.String())
			}
		})
	}
}

func TestForgottenDeletesChatMessages(t *testing.T) {
	f := newFixture(t)
	f.engine.reply = func(in conversations.Inbound) conversations.Reply {
		if in.Text == "0" {
			return conversations.Reply{Lang: "en", Text: "Deleted.", Effects: []conversations.Effect{{Kind: conversations.Forgotten}}}
		}
		return menu(in)
	}
	f.deliver(t, f.api.Text(ana, ana, "en", "hi"))
	f.settle(t)
	f.deliver(t, f.api.Text(ana, ana, "en", "0"))
	f.settle(t)
	msgs := f.api.Messages(ana)
	last := msgs[len(msgs)-1]
	if last.Text != "Deleted." || last.Deleted {
		t.Errorf("last message %+v, want the undeleted answer", last)
	}
	for _, m := range msgs[:len(msgs)-1] {
		if !m.Deleted {
			t.Errorf("message %d (%q, from bot %v) not deleted", m.ID, m.Text, m.FromBot)
		}
	}
}

func TestDuplicateUpdateHandledOnce(t *testing.T) {
	f := newFixture(t)
	raw, _ := f.api.Marshal(f.api.Text(ana, ana, "en", "hi"))
	u := decodeUpdate(t, raw)
	f.ch.handle(u)
	f.ch.handle(u)
	f.settle(t)
	if n := len(f.engine.inbound()); n != 1 {
		t.Errorf("engine saw the update %d times, want 1", n)
	}
}

func TestGroupChatsIgnored(t *testing.T) {
	f := newFixture(t)
	raw := []byte(`{"update_id":1,"message":{"message_id":5,"date":1,"text":"hi","from":{"id":` + strconv.FormatInt(ana, 10) + `,"is_bot":false,"first_name":"A"},"chat":{"id":-100123,"type":"group"}}}`)
	f.ch.handle(decodeUpdate(t, raw))
	f.settle(t)
	if n := len(f.engine.inbound()); n != 0 {
		t.Errorf("engine saw a group message")
	}
}

// TestLogsHoldNothingIdentifying runs every kind of update with debug logs
// on and a failing call, and scans the log.
func TestLogsHoldNothingIdentifying(t *testing.T) {
	f := newFixture(t)
	f.engine.reply = menu
	f.deliver(t, f.api.Text(ana, ana, "en", "my secret words"))
	f.deliver(t, f.api.Photo(ana, ana, "en"))
	f.deliver(t, f.api.Contact(ana, ana, ana, "en", "13125550142"))
	f.deliver(t, f.api.Press(bruno, bruno, "en", 999999, "book")) // edit of an unknown message fails
	f.settle(t)
	time.Sleep(50 * time.Millisecond)
	logs := f.logs.String()
	for _, s := range []string{strconv.FormatInt(ana, 10), strconv.FormatInt(bruno, 10), "secret words", "5550142", telegramtest.Token, "Resident"} {
		if strings.Contains(logs, s) {
			t.Errorf("log holds %q:\n%s", s, logs)
		}
	}
}
