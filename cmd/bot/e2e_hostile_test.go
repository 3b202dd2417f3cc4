package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/scheduling"
)

// TestHostileInput throws malformed, oversized, forged and slow requests at
// every endpoint of `bot serve`. Each must get a bounded 4xx or a normal
// reply, quickly; the server must not panic, and nothing may be stored.
func TestHostileInput(t *testing.T) {
	s := startSMSServer(t, nil, nil)
	long := strings.Repeat("ñ", 10_000)
	huge := strings.Repeat("A", 1<<20)
	signedForm := func(text string, i int) url.Values {
		return smsForm(residentNumber(i), text, fmt.Sprintf("SMhostile%025d", i))
	}
	type hostile struct {
		name        string
		method      string
		path        string
		contentType string
		header      map[string]string
		body        string
		wantStatus  int // 0: any 4xx
	}
	sign := func(f url.Values) map[string]string {
		return map[string]string{"X-Twilio-Signature": twiliotest.Sign(twiliotest.AuthToken, smsPublicURL+sms.Path, f)}
	}
	form := "application/x-www-form-urlencoded"
	var cases []hostile
	for i, text := range []string{
		"\xff\xfe\xfdnot utf-8 \xc3\x28",
		"nul\x00bytes\x00",
		long,
		"👩🏽‍💻🇺🇸 مرحبا שלום \u202e4\u202c",
		`<script>alert(1)</script>{{.Program}}{{template "x"}}<![CDATA[ ]]>&amp;`,
		"%00%ff%%",
	} {
		f := signedForm(text, i)
		cases = append(cases, hostile{fmt.Sprintf("sms body %d", i), "POST", sms.Path, form, sign(f), f.Encode(), 200})
	}
	bigForm := signedForm(huge, 50)
	replayed := signedForm("2", 51)
	cases = append(cases,
		hostile{"sms 1 MB body", "POST", sms.Path, form, sign(bigForm), bigForm.Encode(), http.StatusRequestEntityTooLarge},
		hostile{"sms forged signature", "POST", sms.Path, form, map[string]string{"X-Twilio-Signature": "Zm9yZ2VkIHNpZ25hdHVyZQ=="}, signedForm("STOP", 52).Encode(), http.StatusForbidden},
		hostile{"sms signature of another body", "POST", sms.Path, form, sign(signedForm("1", 53)), signedForm("0", 53).Encode(), http.StatusForbidden},
		hostile{"sms no signature", "POST", sms.Path, form, nil, signedForm("4", 54).Encode(), http.StatusForbidden},
		hostile{"sms replayed once", "POST", sms.Path, form, sign(replayed), replayed.Encode(), 200},
		hostile{"sms replayed twice", "POST", sms.Path, form, sign(replayed), replayed.Encode(), 200},
		hostile{"sms JSON", "POST", sms.Path, "application/json", sign(replayed), `{"Body":"4"}`, http.StatusUnsupportedMediaType},
		hostile{"sms no content type", "POST", sms.Path, "", sign(replayed), replayed.Encode(), http.StatusUnsupportedMediaType},
		hostile{"sms multipart", "POST", sms.Path, "multipart/form-data; boundary=x", sign(replayed), "--x--", http.StatusUnsupportedMediaType},
		hostile{"sms GET", "GET", sms.Path, "", nil, "", http.StatusMethodNotAllowed},
		hostile{"sms malformed form", "POST", sms.Path, form, sign(replayed), "%zz=%%", 0},
		hostile{"local 1 MB", "POST", "/local/chat", "application/json", map[string]string{"Authorization": "Bearer t0k"}, `{"as":"` + huge + `"}`, http.StatusRequestEntityTooLarge},
		hostile{"local not JSON", "POST", "/local/chat", "application/json", map[string]string{"Authorization": "Bearer t0k"}, "\x00\xff{{", http.StatusBadRequest},
		hostile{"local no token", "POST", "/local/chat", "application/json", nil, `{"as":"+13125550101","text":"4"}`, http.StatusUnauthorized},
		hostile{"local not a phone", "POST", "/local/chat", "application/json", map[string]string{"Authorization": "Bearer t0k"}, `{"as":"<script>","text":"4"}`, http.StatusBadRequest},
		hostile{"clerk login 1 MB", "POST", "/clerk/login", form, nil, "username=" + huge + "&password=x", 0},
		hostile{"clerk login template", "POST", "/clerk/login", form, nil, "username=%7B%7B.%7D%7D%3Cscript%3E&password=%00%ff", http.StatusUnauthorized},
		hostile{"clerk login JSON", "POST", "/clerk/login", "application/json", nil, `{"username":"a"}`, 0},
		hostile{"clerk page signed out", "GET", "/clerk/?date=%00&office=%3Cscript%3E", "", nil, "", 0},
		hostile{"clerk csv signed out", "GET", "/clerk/day.csv?date=9999-99-99", "", nil, "", 0},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, s.base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			start := time.Now()
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			switch {
			case tc.wantStatus == 0 && (resp.StatusCode < 400 || resp.StatusCode > 499) && resp.StatusCode != http.StatusSeeOther:
				t.Errorf("status %d, want a 4xx", resp.StatusCode)
			case tc.wantStatus != 0 && resp.StatusCode != tc.wantStatus:
				t.Errorf("status %d, want %d: %.200s", resp.StatusCode, tc.wantStatus, body)
			}
			if bytes.Contains(body, []byte("<script>")) {
				t.Errorf("reply reflects markup unescaped: %.300s", body)
			}
		})
	}

	t.Run("slowloris", func(t *testing.T) {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nX-Slow: ", sms.Path)
		// Trickle a byte a second; the server's header timeout (5 s) must cut us off.
		buf := make([]byte, 1)
		for time.Since(start) < 15*time.Second {
			if _, err := c.Write([]byte("a")); err != nil {
				break
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := c.Read(buf); err != nil && !isTimeout(err) {
				break
			}
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("a slow client held a connection for %v", d)
		}
	})

	s.stop(os.Interrupt)
	if strings.Contains(s.out.String(), "panic") {
		t.Errorf("server panicked:\n%s", s.out)
	}
	st := openChecked(t, s.e)
	n := 0
	_ = st.All(func(scheduling.Appointment) error { n++; return nil })
	if n != 0 {
		t.Errorf("hostile input stored %d appointments", n)
	}
	// Signed messages from new residents are answered through the REST
	// API; nothing else may happen at Twilio.
	if calls := sideEffects(s.fake); len(calls) != 0 {
		t.Errorf("hostile input caused %d Twilio calls besides replies", len(calls))
	}
}

var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
