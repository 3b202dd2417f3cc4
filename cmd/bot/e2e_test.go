package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// botBin is the binary built once for the end-to-end tests.
var botBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cita-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	botBin = filepath.Join(dir, "bot")
	build := exec.Command("go", "build", "-o", botBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build bot:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2eNow pins the binary's clock: Monday 30 November 2026, 08:00 in Chicago.
const e2eNow = "2026-11-30T08:00:00-06:00"

// env is a temp installation: a data dir and a key file kept apart.
type env struct {
	t       *testing.T
	data    string
	keyFile string
	vars    []string
	logs    bytes.Buffer // every stdout and stderr the binary printed
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := t.TempDir()
	e := &env{t: t, data: filepath.Join(root, "data"), keyFile: filepath.Join(root, "secrets", "cita.key")}
	if err := os.MkdirAll(filepath.Dir(e.keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	e.vars = []string{
		"CITA_DATA=" + e.data,
		"CITA_KEY_FILE=" + e.keyFile,
		"CITA_NOW=" + e2eNow,
		// Cheap stretching keeps the suite fast; the cost is benchmarked elsewhere.
		"CITA_ARGON2_MEMORY=1024",
		"CITA_ARGON2_TIME=1",
		// Scripted residents answer faster than a person reads: "1" then
		// "1" is meant. channels/sms tests the repeat rule.
		"CITA_REPEAT_WINDOW=0",
	}
	if out, code := e.run("", "keygen"); code != 0 {
		t.Fatalf("keygen: exit %d: %s", code, out)
	}
	return e
}

// run runs the binary and returns its combined output and exit status.
func (e *env) run(stdin string, args ...string) (string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, botBin, args...)
	cmd.Env = append(os.Environ(), e.vars...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	e.logs.Write(out.Bytes())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run bot %v: %v", args, err)
	}
	return out.String(), code
}

var codeRE = regexp.MustCompile(`\b[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}\b`)

// dayCodes returns the confirmation codes `bot list --format csv` shows for date.
func (e *env) dayCodes(date string) []string {
	e.t.Helper()
	out, code := e.run("", "list", "--date", date, "--format", "csv")
	if code != 0 {
		e.t.Fatalf("list: exit %d: %s", code, out)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		e.t.Fatalf("list csv: %v\n%s", err, out)
	}
	var codes []string
	for _, r := range rows[1:] {
		codes = append(codes, r[3])
	}
	return codes
}

// spellings are the ways a phone number can appear in a file or a log.
func spellings(national string) []string {
	digits := strings.NewReplacer("(", "", ")", "", " ", "", "-", "").Replace(national)
	return []string{
		"+1" + digits, "1" + digits, digits, national,
		digits[:3] + "-" + digits[3:6] + "-" + digits[6:],
		digits[3:6] + "-" + digits[6:], digits[3:],
	}
}

func TestChatBooksAndFindsAcrossSpellings(t *testing.T) {
	e := newEnv(t)
	out, code := e.run("4\n1\n1\n", "chat", "--as", "(312) 555-0142")
	if code != 0 {
		t.Fatalf("chat: exit %d:\n%s", code, out)
	}
	codes := e.dayCodes("2026-11-30")
	if len(codes) != 1 {
		t.Fatalf("list shows %d appointments on 2026-11-30, want 1 (chat said:\n%s)", len(codes), out)
	}
	booked := codes[0]
	if !strings.Contains(out, booked) {
		t.Errorf("booking reply lacks the code %s:\n%s", booked, out)
	}
	for _, want := range []string{"City Hall", "121 N LaSalle St, Room 107"} {
		if !strings.Contains(out, want) {
			t.Errorf("booking reply lacks %q:\n%s", want, out)
		}
	}

	for _, tc := range []struct {
		name, as string
		found    bool
	}{
		{"e164", "+13125550142", true},
		{"dashes", "312-555-0142", true},
		{"another resident", "312-555-0143", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := e.run("5\n", "chat", "--as", tc.as)
			if code != 0 {
				t.Fatalf("chat: exit %d:\n%s", code, out)
			}
			if got := strings.Contains(out, booked); got != tc.found {
				t.Errorf("appointment %s shown = %v, want %v:\n%s", booked, got, tc.found, out)
			}
		})
	}

	list, code := e.run("", "list", "--date", "2026-11-30")
	if code != 0 || !strings.Contains(list, booked) || !strings.Contains(list, "city-hall") {
		t.Errorf("list (exit %d) lacks %s at city-hall:\n%s", code, booked, list)
	}
	inspect, code := e.run("", "inspect")
	if code != 0 || !strings.Contains(inspect, booked) {
		t.Errorf("inspect (exit %d) lacks %s:\n%s", code, booked, inspect)
	}

	db, err := os.ReadFile(filepath.Join(e.data, dbName))
	if err != nil {
		t.Fatal(err)
	}
	for _, national := range []string{"(312) 555-0142", "(312) 555-0143"} {
		for _, s := range spellings(national) {
			if bytes.Contains(db, []byte(s)) {
				t.Errorf("database file holds %q", s)
			}
			if bytes.Contains(e.logs.Bytes(), []byte(s)) {
				t.Errorf("output holds %q", s)
			}
		}
	}
}

// TestChatBooksFamily: a parent books for three in four messages; bot list
// shows the party size in its people column, right after status in the
// CSV (a contract: no other column moved).
func TestChatBooksFamily(t *testing.T) {
	e := newEnv(t)
	out, code := e.run("hi\n4\n3\n1\n", "chat", "--as", "+1 312 555 0155")
	if code != 0 || !strings.Contains(out, "For 3 people") || !codeRE.MatchString(out) {
		t.Fatalf("chat: exit %d:\n%s", code, out)
	}
	csvOut, code := e.run("", "list", "--date", "2026-11-30", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 {
		t.Fatalf("list csv: exit %d, %v:\n%s", code, err, csvOut)
	}
	if got := strings.Join(rows[0], ","); got != "date,time,office,code,language,status,people" {
		t.Errorf("CSV header %q", got)
	}
	if r := rows[1]; r[5] != "booked" || r[6] != "3" || !strings.Contains(out, r[3]) {
		t.Errorf("CSV row %v, want booked for 3 people under the code the chat showed", r)
	}
	text, _ := e.run("", "list", "--date", "2026-11-30")
	if !strings.Contains(text, "PEOPLE") || !strings.Contains(text, rows[1][3]) {
		t.Errorf("list:\n%s", text)
	}
}

func TestChatDeletesMyData(t *testing.T) {
	e := newEnv(t)
	if out, code := e.run("4\n1\n1\n", "chat", "--as", "+1 312 555 0150"); code != 0 {
		t.Fatalf("chat: exit %d:\n%s", code, out)
	}
	if n := len(e.dayCodes("2026-11-30")); n != 1 {
		t.Fatalf("%d appointments booked, want 1", n)
	}
	out, code := e.run("0\n1\n", "chat", "--as", "+1 312 555 0150")
	if code != 0 {
		t.Fatalf("chat: exit %d:\n%s", code, out)
	}
	if n := len(e.dayCodes("2026-11-30")); n != 0 {
		t.Errorf("%d appointments after delete my data, want 0:\n%s", n, out)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	bad := filepath.Join(t.TempDir(), "program.toml")
	if err := os.WriteFile(bad, []byte("name = \"X\"\ntime_zone = \"Mars/Olympus\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // in the output
	}{
		{"not a phone number", []string{"chat", "--as", "hello"}, "4\n", "not a phone number"},
		{"missing program file", []string{"check", "--config", filepath.Join(t.TempDir(), "nope.toml")}, "", "nope.toml"},
		{"malformed program file", []string{"check", "--config", bad}, "", bad + ":2: time_zone"},
		{"missing key file", []string{"chat", "--key-file", filepath.Join(t.TempDir(), "no.key")}, "4\n", "no.key"},
		{"key file inside the data dir", []string{"chat", "--key-file", filepath.Join(e.data, "k")}, "4\n", "inside the data dir"},
		{"keygen refuses to overwrite", []string{"keygen"}, "", "refusing to overwrite"},
		{"unknown office", []string{"list", "--office", "moon-base"}, "", "moon-base"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := e.run(tc.stdin, tc.args...)
			if code == 0 {
				t.Errorf("exit 0, want failure:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
	if inspect, _ := e.run("", "inspect"); codeRE.MatchString(appointmentsOnly(inspect)) {
		t.Errorf("bad input stored something:\n%s", inspect)
	}
}

// appointmentsOnly keeps inspect's lines that mention a code field.
func appointmentsOnly(inspect string) string {
	var b strings.Builder
	for _, l := range strings.Split(inspect, "\n") {
		if strings.Contains(strings.ToLower(l), "code") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestServeHoldsDataDirAndChatGoesThroughIt(t *testing.T) {
	e := newEnv(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, botBin, "serve", "--addr", addr, "--local-token", "s3cret-local")
	srv.Env = append(os.Environ(), e.vars...)
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = srv.Process.Signal(os.Interrupt)
			_ = srv.Wait()
		}
	}
	defer stop()
	waitHealthy(t, "http://"+addr)

	start := time.Now()
	out, code := e.run("4\n", "chat", "--as", "312 555 0160")
	if code == 0 || !strings.Contains(out, "in use by another process") {
		t.Errorf("second process: exit %d, output:\n%s", code, out)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second process took %v to give up, want < 2s", d)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Errorf("second process said %d lines, want 1:\n%s", n+1, out)
	}

	out, code = e.run("4\n1\n1\n", "chat", "--server", "http://"+addr, "--local-token", "s3cret-local", "--as", "312 555 0160")
	if code != 0 || !codeRE.MatchString(out) {
		t.Fatalf("chat --server: exit %d:\n%s", code, out)
	}
	out, code = e.run("4\n", "chat", "--server", "http://"+addr, "--local-token", "wrong", "--as", "312 555 0160")
	if code == 0 || !strings.Contains(out, "401") && !strings.Contains(out, "token") {
		t.Errorf("chat with a wrong token: exit %d:\n%s", code, out)
	}
	stop() // the server's output is complete (and no longer written) once it exits
	e.logs.Write(srvOut.Bytes())
	for _, s := range spellings("(312) 555-0160") {
		if bytes.Contains(e.logs.Bytes(), []byte(s)) {
			t.Errorf("output holds %q", s)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s never became healthy", base)
}
