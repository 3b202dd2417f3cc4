package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetricsAddrAndHSTS: with CITA_METRICS_ADDR, /metrics is served there
// and not on the public address; without it, on the public address. HSTS
// is sent on every response when the public URL is https, and not when
// it is not.
func TestMetricsAddrAndHSTS(t *testing.T) {
	metricsAddr := freeAddr(t)
	https := startSMSServer(t, nil, nil, "CITA_METRICS_ADDR="+metricsAddr) // CITA_PUBLIC_URL is https
	e := newEnv(t)
	plain := e.serveWith(t, "CITA_DEV=1", "CITA_PUBLIC_URL=http://localhost:8080")

	for _, tc := range []struct {
		name       string
		url        string
		wantStatus int
		wantHSTS   bool
	}{
		{"metrics on the metrics address", "http://" + metricsAddr + "/metrics", 200, true},
		{"no metrics on the public address", https.base + "/metrics", 404, true},
		{"healthz on the public address", https.base + "/healthz", 200, true},
		{"clerk page with https", https.base + "/clerk/", 0, true},
		{"sms webhook refused with https", https.base + "/webhooks/twilio/sms", 405, true},
		{"metrics on the public address without CITA_METRICS_ADDR", "http://" + plain.addr + "/metrics", 200, false},
		{"healthz without https", "http://" + plain.addr + "/healthz", 200, false},
		{"clerk page without https", "http://" + plain.addr + "/clerk/", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := noRedirect.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tc.wantStatus != 0 && resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if got := strings.HasPrefix(hsts, "max-age=") && !strings.HasPrefix(hsts, "max-age=0"); got != tc.wantHSTS {
				t.Errorf("Strict-Transport-Security %q, want it sent: %v", hsts, tc.wantHSTS)
			}
		})
	}
	if text := scrapeAt(t, "http://"+metricsAddr); !strings.Contains(text, "cita_http_connections_open ") {
		t.Errorf("metrics address lacks cita_http_connections_open:\n%.500s", text)
	}
	e.stop(t, plain)
}

func scrapeAt(t *testing.T, base string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
