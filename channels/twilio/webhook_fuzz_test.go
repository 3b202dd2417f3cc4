package twilio

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// FuzzWebhook sends correctly signed webhooks with arbitrary fields through
// the handler: every one must get a bounded answer (TwiML on 200), never a
// panic, and the logs must never hold the text that was sent.
func FuzzWebhook(f *testing.F) {
	for _, seed := range [][4]string{
		{"+13125550142", "hola", "0", "SM01"},
		{"(312) 555-0142", "STOP", "0", "SM02"},
		{"+13125550142", "", "2", "SM03"},
		{"12345", "4", "x", ""},
		{"+13125550142", "\xff\x00<Message>&amp;]]>", "-1", "SM04"},
		{"", "👩🏽‍💻 مرحبا", "999999999999999999999", "SM05"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	// One channel for every input: building one per input (a fake Twilio,
	// the locales) would leave a few runs a second.
	fake := twiliotest.New(func() time.Time { return testNow })
	f.Cleanup(fake.Close)
	hc, err := HTTPClient(fake.URL, 5*time.Second)
	if err != nil {
		f.Fatal(err)
	}
	catalog, err := locales.Load()
	if err != nil {
		f.Fatal(err)
	}
	logs := &syncBuffer{}
	eng := &engine{reply: func(in conversations.Inbound) conversations.Reply {
		return conversations.Reply{Lang: "en", Text: "echo " + in.Text}
	}}
	ch, err := New(Config{
		Kind:   smsKind,
		Engine: eng, IDs: hasher{}, Normalize: normalize, Texts: catalog, Program: scheduling.Demo(),
		Provider:  NewTwilio(twiliotest.AccountSID, twiliotest.AuthToken, twiliotest.ServiceSID, hc),
		AuthToken: twiliotest.AuthToken, PublicURL: publicURL,
		Now: func() time.Time { return testNow }, Log: slog.New(slog.NewTextHandler(logs, nil)),
		Backoff: time.Millisecond, Attempts: 1,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(ch.Close)
	f.Fuzz(func(t *testing.T, from, body, numMedia, sid string) {
		form := url.Values{"From": {from}, "Body": {body}, "NumMedia": {numMedia}, "MessageSid": {sid}, "To": {cityNum}}
		req := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080"+Path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", formType)
		req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, publicURL+Path, form))
		before := len(logs.String())
		w := httptest.NewRecorder()
		ch.ServeHTTP(w, req)
		reply, _ := io.ReadAll(w.Result().Body)
		switch w.Code {
		case http.StatusOK:
			var doc struct {
				Messages []string `xml:"Message"`
			}
			if err := xml.Unmarshal(reply, &doc); err != nil {
				t.Fatalf("200 without TwiML: %v\n%s", err, reply)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusInternalServerError:
		default:
			t.Fatalf("status %d", w.Code)
		}
		ch.Drain()
		if len(body) >= 8 && strings.Contains(logs.String()[before:], body) {
			t.Errorf("logs hold the message text %q", body)
		}
	})
}
