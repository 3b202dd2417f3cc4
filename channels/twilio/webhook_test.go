package twilio

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// webhookTests are requests as Twilio (or an impostor) sends them, and what
// the channel must do: answer, call the engine or not, call Twilio or not.
var webhookTests = []struct {
	label       string
	form        func(f *fixture) url.Values
	contentType string
	sig         string // "" signs correctly; anything else is sent as is
	wantStatus  int
	wantReply   string   // substring of the TwiML; "" means no <Message> at all
	wantEngine  int      // messages handed to the engine
	wantCalls   []string // Twilio REST calls, in order
}{
	{
		label:      "text goes to the engine, reply as TwiML",
		form:       func(*fixture) url.Values { return inbound("SM01", "hola") },
		wantStatus: 200, wantReply: "<Message>Menu\n\n1 Book</Message>", wantEngine: 1,
	},
	{
		label: "JSON is refused", contentType: "application/json",
		form:       func(*fixture) url.Values { return inbound("SM02", "hi") },
		wantStatus: 415,
	},
	{
		label: "no content type is refused", contentType: "-",
		form:       func(*fixture) url.Values { return inbound("SM03", "hi") },
		wantStatus: 415,
	},
	{
		label:      "over 64 KiB is refused",
		form:       func(*fixture) url.Values { return inbound("SM04", strings.Repeat("a", 70<<10)) },
		wantStatus: 413,
	},
	{
		label: "missing signature", sig: "-",
		form:       func(*fixture) url.Values { return inbound("SM05", "hi") },
		wantStatus: 403,
	},
	{
		label: "forged signature", sig: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
		form:       func(*fixture) url.Values { return inbound("SM06", "hi") },
		wantStatus: 403,
	},
	{
		// Signing what r.Host says (the proxy's view) must not pass: only
		// the configured public URL counts.
		label: "signature over the internal host",
		sig:   twiliotest.Sign(twiliotest.AuthToken, "http://10.0.0.7:8080"+Path, inbound("SM07", "hi")),
		form:  func(*fixture) url.Values { return inbound("SM07", "hi") }, wantStatus: 403,
	},
	{
		label: "a param changed after signing",
		sig:   twiliotest.Sign(twiliotest.AuthToken, publicURL+Path, inbound("SM08", "hi")),
		form:  func(*fixture) url.Values { return inbound("SM08", "4") }, wantStatus: 403,
	},
	{
		label:      "STOP: no reply, pending reminders cancelled",
		form:       func(*fixture) url.Values { return inbound("SM09", "STOP") },
		wantStatus: 200, wantCalls: []string{"GET Messages.json"},
	},
	{
		label:      "stop in any case and spacing",
		form:       func(*fixture) url.Values { return inbound("SM10", "  stop \n") },
		wantStatus: 200, wantCalls: []string{"GET Messages.json"},
	},
	{
		label:      "a lone CANCEL is an opt-out, not an appointment cancel",
		form:       func(*fixture) url.Values { return inbound("SM11", "Cancel") },
		wantStatus: 200, wantCalls: []string{"GET Messages.json"},
	},
	{
		label:      "the other opt-out words",
		form:       func(*fixture) url.Values { return inbound("SM12", "optout") },
		wantStatus: 200, wantCalls: []string{"GET Messages.json"},
	},
	{
		// Twilio only opts out on the keyword alone; so do we.
		label:      "stop inside a sentence is a message",
		form:       func(*fixture) url.Values { return inbound("SM13", "stop the appointment") },
		wantStatus: 200, wantReply: "<Message>", wantEngine: 1,
	},
	{
		label:      "START welcomes back",
		form:       func(*fixture) url.Values { return inbound("SM14", "start") },
		wantStatus: 200, wantReply: "Welcome back to CityKey",
	},
	{
		label:      "HELP names the program",
		form:       func(*fixture) url.Values { return inbound("SM15", "HELP") },
		wantStatus: 200, wantReply: "CityKey, the city ID",
	},
	{
		label:      "INFO is HELP",
		form:       func(*fixture) url.Values { return inbound("SM16", "info") },
		wantStatus: 200, wantReply: "CityKey, the city ID",
	},
	{
		label: "MMS: never downloaded, media and message deleted, told to come in person",
		form: func(f *fixture) url.Values {
			sid := f.twilio.Receive(resident, cityNum, "my passport", 2, f.now)
			v := inbound(sid, "my passport")
			v.Set("NumMedia", "2")
			v.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages/"+sid+"/Media/ME1")
			v.Set("MediaContentType0", "image/jpeg")
			return v
		},
		wantStatus: 200, wantReply: "never open photos",
		wantCalls: []string{"GET Media.json", "DELETE Media/{sid}", "DELETE Media/{sid}", "DELETE Messages/{sid}"},
	},
	{
		label: "a short code sender gets nothing",
		form: func(*fixture) url.Values {
			v := inbound("SM17", "hi")
			v.Set("From", "22395")
			return v
		},
		wantStatus: 200,
	},
}

func TestWebhook(t *testing.T) {
	for _, tc := range webhookTests {
		t.Run(tc.label, func(t *testing.T) {
			f := newFixture(t)
			ct := tc.contentType
			switch ct {
			case "":
				ct = formType
			case "-":
				ct = ""
			}
			sig := tc.sig
			if sig == "-" {
				sig = " "
			}
			status, body := f.post(tc.form(f), ct, sig, nil)
			f.ch.Drain()
			if status != tc.wantStatus {
				t.Errorf("status %d, want %d (body %q)", status, tc.wantStatus, body)
			}
			if tc.wantStatus == 200 {
				if tc.wantReply == "" && strings.Contains(body, "<Message") {
					t.Errorf("replied %q, want no message", body)
				}
				if tc.wantReply != "" && !strings.Contains(body, tc.wantReply) {
					t.Errorf("reply %q lacks %q", body, tc.wantReply)
				}
				if !strings.Contains(body, "<Response") {
					t.Errorf("reply %q is not TwiML", body)
				}
			}
			if n := f.eng.calls(); n != tc.wantEngine {
				t.Errorf("engine got %d messages, want %d", n, tc.wantEngine)
			}
			if got := f.calls(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("Twilio calls:\n got %q\nwant %q", got, tc.wantCalls)
			}
			if n := f.twilio.Count("GET", "/Media/ME"); n > 0 {
				t.Errorf("media fetched %d times, want never", n)
			}
		})
	}
}

func TestWebhookHandsOverInbound(t *testing.T) {
	f := newFixture(t)
	if status, _ := f.post(inbound("SM20", "4"), formType+"; charset=utf-8", "", nil); status != 200 {
		t.Fatalf("status %d", status)
	}
	in := f.eng.got[0]
	ids, _ := hasher{}.Identities(resident, f.now)
	if in.Identity != ids[0] || len(in.Aliases) != 1 || in.Aliases[0] != ids[1] {
		t.Errorf("identities %v %v, want %v", in.Identity, in.Aliases, ids)
	}
	if in.Text != "4" || !in.Reminders || in.Choice != "" {
		t.Errorf("inbound %+v, want text 4 with reminders", in)
	}
}

// TestTwilioDocumentedSignature: Twilio's documented example (twilio-php's
// "Validate Incoming Requests" page: token 12345, this URL and these
// parameters, signature RSOYDt4T1cUTdK1PDd93/VVr8B8=) validates with the
// validator the channel uses, and the test signer agrees with it.
func TestTwilioDocumentedSignature(t *testing.T) {
	const (
		token = "12345"
		u     = "https://mycompany.com/myapp.php?foo=1&bar=2"
		sig   = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
	)
	params := map[string]string{
		"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
		"From": "+14158675309", "To": "+18005551212",
	}
	v := client.NewRequestValidator(token)
	if !v.Validate(u, params, sig) {
		t.Errorf("Twilio's documented example does not validate")
	}
	if v.Validate(u, params, "1"+sig[1:]) {
		t.Errorf("a changed signature validates")
	}
	form := url.Values{}
	for k, val := range params {
		form.Set(k, val)
	}
	if got := twiliotest.Sign(token, u, form); got != sig {
		t.Errorf("twiliotest.Sign = %s, want %s", got, sig)
	}
}

func TestSignatureCoversQuery(t *testing.T) {
	f := newFixture(t)
	form := inbound("SM21", "hi")
	req := func(sigURL string) int {
		r, _ := http.NewRequest(http.MethodPost, "http://internal"+Path+"?src=a", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", formType)
		r.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, sigURL, form))
		w := newRecorder()
		f.ch.ServeHTTP(w, r)
		return w.Code
	}
	if code := req(publicURL + Path); code != 403 {
		t.Errorf("signature without the query: %d, want 403", code)
	}
	if code := req(publicURL + Path + "?src=a"); code != 200 {
		t.Errorf("signature with the query: %d, want 200", code)
	}
}

func TestDuplicateDelivery(t *testing.T) {
	f := newFixture(t)
	f.eng.reply = nil
	if _, body := f.post(inbound("SM30", "4"), formType, "", nil); !strings.Contains(body, "<Message>") {
		t.Fatalf("first delivery: %q", body)
	}
	// Twilio's retry: same MessageSid.
	status, body := f.post(inbound("SM30", "4"), formType, "", nil)
	if status != 200 || strings.Contains(body, "<Message") {
		t.Errorf("retry: %d %q, want 200 and no message", status, body)
	}
	// Same idempotency token, whatever the SID.
	h := http.Header{"I-Twilio-Idempotency-Token": {"tok-1"}}
	f.post(inbound("SM31", "4"), formType, "", h)
	f.post(inbound("SM32", "4"), formType, "", h)
	if n := f.eng.calls(); n != 2 {
		t.Errorf("engine got %d messages, want 2", n)
	}
	// A forged request does not mark anything.
	f.post(inbound("SM33", "4"), formType, "forged", nil)
	f.post(inbound("SM33", "4"), formType, "", nil)
	if n := f.eng.calls(); n != 3 {
		t.Errorf("after a forged copy, engine got %d messages, want 3", n)
	}
	// Marks live 48 hours.
	f.now = f.now.Add(DedupeTTL - time.Minute)
	if n := f.ch.Sweep(f.now); n != 0 {
		t.Errorf("Sweep before the TTL dropped %d", n)
	}
	f.post(inbound("SM30", "4"), formType, "", nil)
	if n := f.eng.calls(); n != 3 {
		t.Errorf("within 48h, engine got %d messages, want 3", n)
	}
	f.now = f.now.Add(2 * time.Minute)
	if n := f.ch.Sweep(f.now); n != 4 {
		t.Errorf("Sweep after the TTL dropped %d, want 4 (3 SIDs and a token)", n)
	}
	f.post(inbound("SM30", "4"), formType, "", nil)
	if n := f.eng.calls(); n != 4 {
		t.Errorf("after 48h, engine got %d messages, want 4", n)
	}
}
