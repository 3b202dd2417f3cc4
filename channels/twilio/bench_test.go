package twilio

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// BenchmarkWebhook is the SMS webhook's own cost: a signed request through
// ServeHTTP with the real phone normalization and TwiML, the engine
// answering a menu at once.
func BenchmarkWebhook(b *testing.B) {
	catalog, err := locales.Load()
	if err != nil {
		b.Fatal(err)
	}
	menu := conversations.Reply{Lang: "en", Text: "What would you like to do?"}
	for _, l := range []string{"Who can get the ID", "What to bring", "Offices and hours", "Book an appointment", "My appointment", "Language"} {
		menu.Choices = append(menu.Choices, conversations.Choice{ID: l, Label: l})
	}
	menu.Choices = append(menu.Choices, conversations.Choice{ID: "0", Label: "Delete my data"})
	ch, err := New(Config{
		Kind:      smsKind,
		Engine:    &engine{reply: func(conversations.Inbound) conversations.Reply { return menu }},
		IDs:       hasher{},
		Normalize: identity.NormalizeSender, // as cmd/bot wires it
		Texts:     catalog,
		Program:   scheduling.Demo(),
		Provider:  NewTwilio(twiliotest.AccountSID, twiliotest.AuthToken, twiliotest.ServiceSID, http.DefaultClient),
		AuthToken: twiliotest.AuthToken,
		PublicURL: publicURL,
		Now:       func() time.Time { return testNow },
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer ch.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		form := inbound("SM"+strings.Repeat("0", 20)+string(rune('a'+i%26))+time.Duration(i).String(), "2")
		body := form.Encode()
		sig := twiliotest.Sign(twiliotest.AuthToken, publicURL+Path, form)
		req := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080"+Path, strings.NewReader(body))
		req.Header.Set("Content-Type", formType)
		req.Header.Set("X-Twilio-Signature", sig)
		w := httptest.NewRecorder()
		ch.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
