package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// runClerk runs `bot clerk ARGS` in-process with stdin and a data dir.
func runClerk(t *testing.T, data, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	m := &Main{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out,
		Getenv: func(k string) string {
			if k == "CITA_DATA" {
				return data
			}
			return ""
		},
		Now: func() time.Time { return time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) },
	}
	err := m.clerkCmd(context.Background(), args)
	return out.String(), err
}

func TestClerkAccountsCommand(t *testing.T) {
	data := t.TempDir()
	const pw = "a long enough password"
	if out, err := runClerk(t, data, pw+"\n", "add", "ana"); err != nil || !strings.Contains(out, "added clerk ana (clerk)") {
		t.Fatalf("add: %v\n%s", err, out)
	}
	if out, err := runClerk(t, data, pw, "add", "max", "--role", "manager"); err != nil || !strings.Contains(out, "added clerk max (manager)") {
		t.Fatalf("add manager: %v\n%s", err, out)
	}
	if out, err := runClerk(t, data, pw+"\n", "add", "ana"); err != nil || !strings.Contains(out, "updated clerk ana") {
		t.Fatalf("re-add: %v\n%s", err, out)
	}
	out, err := runClerk(t, data, "", "list")
	if err != nil || !strings.Contains(out, "ana   clerk") || !strings.Contains(out, "max   manager") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := runClerk(t, data, "", "remove", "ana"); err != nil || !strings.Contains(out, "removed clerk ana") {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	if _, err := runClerk(t, data, "", "remove", "ana"); err == nil {
		t.Fatal("removing twice succeeded")
	}
	for _, bad := range [][]string{{"add", "Ana Smith"}, {"add", "bo", "--role", "root"}, {"add"}, {"frobnicate"}, {"list", "x"}} {
		if _, err := runClerk(t, data, pw, bad...); err == nil {
			t.Errorf("clerk %q succeeded", bad)
		}
	}
	if _, err := runClerk(t, data, "short\n", "add", "bo"); err == nil {
		t.Fatal("short password accepted")
	}
	if _, err := runClerk(t, data, "", "add", "bo"); err == nil {
		t.Fatal("empty stdin accepted")
	}
	// The password is in no output and not in the database file.
	var dump bytes.Buffer
	m := &Main{Stdout: &dump, Stderr: &dump, Getenv: func(k string) string {
		if k == "CITA_DATA" {
			return data
		}
		return ""
	}}
	if err := m.inspect(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump.String(), pw) || strings.Contains(out, pw) {
		t.Fatal("password shows up")
	}
}

func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string // want: the prefixes joined by spaces, or "error"
	}{
		{"unset", "", ""},
		{"one address", "10.0.0.7", "10.0.0.7/32"},
		{"prefixes and spaces", " 10.0.0.0/8, 2001:db8::/32 ,", "10.0.0.0/8 2001:db8::/32"},
		{"host bits masked", "192.0.2.9/24", "192.0.2.0/24"},
		{"IPv4 in IPv6 is IPv4", "::ffff:10.0.0.7", "10.0.0.7/32"},
		{"a name is refused", "proxy.example", "error"},
		{"a bad prefix is refused", "10.0.0.0/33", "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := trustedProxies(tc.in)
			var got []string
			for _, p := range list {
				got = append(got, p.String())
			}
			if err != nil {
				got = []string{"error"}
			}
			if strings.Join(got, " ") != tc.want {
				t.Fatalf("trustedProxies(%q) = %v, %v; want %s", tc.in, list, err, tc.want)
			}
		})
	}
}
