package telegram

import (
	"strings"
	"testing"

	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/conversations"
)

// TestLongChoiceIDs: Telegram refuses callback data over 64 bytes (the
// fake does too), and an office id from the program file can be longer.
// Such an ID goes out as a short token the chat remembers and comes back
// to the engine whole; short IDs go out as they are.
func TestLongChoiceIDs(t *testing.T) {
	office := "office:" + strings.Repeat("northwest-side-community-center-", 3)[:70]
	if len(office) <= 64 {
		t.Fatalf("test ID is %d bytes", len(office))
	}
	f := newFixture(t)
	f.engine.reply = func(in conversations.Inbound) conversations.Reply {
		return conversations.Reply{Lang: "en", Text: "Which office?", Choices: []conversations.Choice{
			{ID: office, Label: "Northwest"},
			{ID: office + "-annex", Label: "Annex"},
			{ID: "office:city-hall", Label: "City Hall"},
		}}
	}
	f.deliver(t, f.api.Text(ana, ana, "en", "4"))
	f.settle(t)
	var kb telegramtest.Message
	for _, m := range f.api.Messages(ana) {
		if len(m.Buttons) > 0 {
			kb = m
		}
	}
	if kb.ID == 0 {
		t.Fatalf("no keyboard sent: %+v", f.api.Messages(ana))
	}
	var data []string
	for _, row := range kb.Buttons {
		for _, b := range row {
			data = append(data, b.Data)
			if len(b.Data) > maxCallbackData {
				t.Errorf("callback data %q is %d bytes", b.Data, len(b.Data))
			}
		}
	}
	if len(data) != 3 || data[0] == data[1] || data[2] != "office:city-hall" {
		t.Fatalf("callback data %q: want two distinct tokens, then the short ID as is", data)
	}
	for i, want := range []string{office, office + "-annex", "office:city-hall"} {
		f.deliver(t, f.api.Press(ana, ana, "en", kb.ID, data[i]))
		f.settle(t)
		seen := f.engine.inbound()
		if got := seen[len(seen)-1].Choice; got != want {
			t.Errorf("pressed %q: engine got %q, want %q", data[i], got, want)
		}
		if i == 0 {
			if last, _ := f.api.Last(ana); !strings.HasPrefix(last.Text, "› Northwest") {
				t.Errorf("echo %q, want the pressed label", last.Text)
			}
		}
	}
	// A token no chat remembers reaches the engine as is (it answers
	// "didn't get that"), not as some other choice.
	f.deliver(t, f.api.Press(bruno, bruno, "en", kb.ID, data[0]))
	f.settle(t)
	seen := f.engine.inbound()
	if got := seen[len(seen)-1].Choice; got != data[0] {
		t.Errorf("another chat's token became %q", got)
	}
}
