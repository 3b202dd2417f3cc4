package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
)

// smsServer is `bot serve` with the SMS channel pointed at a Twilio fake.
type smsServer struct {
	t    *testing.T
	e    *env
	fake *twiliotest.Server
	base string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// syncBuffer is a bytes.Buffer safe to write from the process's pipes
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSMSServer starts the binary on a fresh env (or e when not nil) with
// the SMS channel and the local channel (token "t0k"); extraEnv overrides
// the env's variables.
func startSMSServer(t *testing.T, e *env, fake *twiliotest.Server, extraEnv ...string) *smsServer {
	t.Helper()
	if e == nil {
		e = newEnv(t)
	}
	if fake == nil {
		t0, _ := time.Parse(time.RFC3339, e2eNow)
		began := time.Now()
		fake = twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
		t.Cleanup(fake.Close)
	}
	addr := freeAddr(t)
	cmd := exec.Command(botBin, "serve", "--addr", addr, "--local-token", "t0k")
	cmd.Env = append(os.Environ(), e.vars...)
	cmd.Env = append(cmd.Env,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+fake.URL,
		"CITA_PUBLIC_URL="+smsPublicURL,
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	s := &smsServer{t: t, e: e, fake: fake, base: "http://" + addr, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(os.Interrupt) })
	waitHealthy(t, s.base)
	return s
}

// stop signals the server and waits for it to exit (SIGKILL after 10 s).
func (s *smsServer) stop(sig os.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *smsServer) resident(number string) *smsResident {
	return &smsResident{t: s.t, fake: s.fake, base: s.base, number: number}
}

func TestMetricsNameNobody(t *testing.T) {
	s := startSMSServer(t, nil, nil)
	const national = "(312) 555-0181"
	ana := s.resident("+13125550181")
	for _, step := range []string{"4", "1", "3", "1", "2", "1"} {
		if status, reply := ana.say(step); status != 200 || reply == "" {
			t.Fatalf("booking step %s: %d %q", step, status, reply)
		}
	}
	_, booked := ana.say("1")
	code := codeRE.FindString(booked)
	if code == "" {
		t.Fatalf("no booking:\n%s", booked)
	}
	s.fake.Fail("POST", "/Messages.json", 429, 1) // the reminder's create is retried once
	ana.say("1")                                  // yes, remind me
	eventually(t, "the reminder", func() bool { return len(s.fake.Scheduled(ana.number)) == 1 })
	ana.post(smsForm(ana.number, "hi", "SMforged"), "AAAA") // a 4xx
	var text string
	defer func() {
		if t.Failed() {
			t.Log(text)
		}
	}()
	eventually(t, "the provider call counted", func() bool {
		text = scrape(t, s.base)
		return strings.Contains(text, `cita_provider_requests_total{outcome="2xx",provider="twilio"} `)
	})
	for _, want := range []string{
		`cita_webhook_requests_total{channel="sms",outcome="2xx"} 8`,
		`cita_webhook_requests_total{channel="sms",outcome="4xx"} 1`,
		`cita_webhook_duration_seconds_bucket{channel="sms",outcome="2xx",le="+Inf"} 8`,
		`cita_webhook_in_flight{channel="sms"} 0`,
		`cita_bookings_total{kind="booked"} 1`,
		`cita_bookings_total{kind="cancelled"} 0`,
		`cita_provider_requests_total{outcome="4xx",provider="twilio"} 1`,
		`cita_provider_retries_total{provider="twilio"} 1`,
		`cita_provider_retries_total{provider="telegram"} 0`,
		`cita_provider_failures_total{provider="twilio"} 0`,
		// One new resident: one stretch, admitted through the queue.
		"cita_admission_queue_length 0",
		"cita_admission_wait_seconds_count 1",
		"cita_admission_busy_total 0",
		"cita_identity_stretches_total 1",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, n := range []string{national} {
		for _, sp := range spellings(n) {
			if strings.Contains(text, sp) {
				t.Errorf("metrics hold %q", sp)
			}
		}
	}
	if strings.ContainsAny(code, "ABCDEFGHJKMNPQRSTUVWXYZ") && strings.Contains(text, code) { // digits alone could be a value
		t.Errorf("metrics hold the confirmation code %s", code)
	}
}

// scrape returns the server's metrics page.
func scrape(t *testing.T, base string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	return string(body)
}
