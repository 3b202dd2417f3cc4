package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestMalformedEnvironment runs Main in-process: a mistyped number in the
// environment stops every command before it touches anything.
func TestMalformedEnvironment(t *testing.T) {
	tests := []struct {
		name, env, value string
		code             int
		want             string
	}{
		{"argon2 memory not a number", "CITA_ARGON2_MEMORY", "19MiB", 2, "CITA_ARGON2_MEMORY"},
		{"argon2 time zero", "CITA_ARGON2_TIME", "0", 2, "CITA_ARGON2_TIME"},
		{"rotation days negative", "CITA_KEY_ROTATE_DAYS", "-3", 2, "CITA_KEY_ROTATE_DAYS"},
		{"well formed", "CITA_ARGON2_TIME", "3", 0, "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			env := map[string]string{tc.env: tc.value}
			m := &Main{
				Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
				Getenv: func(k string) string { return env[k] },
				Now:    func() time.Time { return time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) },
			}
			if code := m.Run(context.Background(), []string{"check"}); code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, &out)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, &out)
			}
		})
	}
}
