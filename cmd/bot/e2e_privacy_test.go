package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/sms/twiliotest"
	"github.com/cita-city/cita/channels/telegram/telegramtest"
	"github.com/cita-city/cita/identity"
)

// Telegram residents of the mock subpoena: distinctive ids.
var subpoenaTelegram = []int64{861234501, 861234502, 861234503}

// TestMockSubpoena is promise P1-P8 end to end: residents use every
// channel, a clerk checks people in, the day closes and the key rotates;
// then everything a subpoena could reach (the database file raw, every
// file of the data dir, every line the binary printed, the metrics page)
// is searched for every resident in every spelling and for unkeyed hashes
// of their numbers. Nothing may be found.
func TestMockSubpoena(t *testing.T) {
	t0, _ := time.Parse(time.RFC3339, e2eNow)
	began := time.Now()
	twilio := twiliotest.New(func() time.Time { return t0.Add(time.Since(began)) })
	defer twilio.Close()
	tg := telegramtest.NewServer()
	defer tg.Close()

	e := newEnv(t)
	e.vars = append(e.vars,
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID,
		"TWILIO_AUTH_TOKEN="+twiliotest.AuthToken,
		"TWILIO_MESSAGING_SERVICE_SID="+twiliotest.ServiceSID,
		"TWILIO_API_BASE="+twilio.URL,
		"CITA_PUBLIC_URL="+smsPublicURL,
		"TELEGRAM_BOT_TOKEN="+telegramtest.Token,
		"TELEGRAM_API_ENDPOINT="+tg.Endpoint(),
		"CITA_LOCAL_TOKEN=subpoena-local",
	)
	if out, code := e.run("clerk-password-123\n", "clerk", "add", "desk1"); code != 0 {
		t.Fatalf("clerk add: exit %d: %s", code, out)
	}
	srv := e.serveWith(t)
	base := "http://" + srv.addr

	// 50 residents: 0101..0139 by SMS webhooks, 0100 and 0140..0149 with
	// bot chat through the running server.
	var numbers []string // E.164
	for i := 100; i < 150; i++ {
		numbers = append(numbers, fmt.Sprintf("+1312555%04d", i))
	}
	codes := map[string]string{}   // number -> confirmation code
	offices := map[string]string{} // number -> office id
	var checkIn []string           // numbers the clerk checks in
	for i, n := range numbers {
		var reply string
		if i == 0 || i >= 40 {
			out, code := e.run("4\n1\n1\n", "chat", "--server", base, "--local-token", "subpoena-local", "--as", n)
			if code != 0 {
				t.Fatalf("chat as resident %d: exit %d:\n%s", i, code, out)
			}
			reply = out
		} else {
			r := &smsResident{t: t, fake: twilio, base: base, number: n}
			for _, step := range []string{"4", "1"} { // one person: the earliest time is offered
				if status, _ := r.say(step); status != http.StatusOK {
					t.Fatalf("resident %d step %s: %d", i, step, status)
				}
			}
			_, reply = r.say("1") // book it
			r.say("1")            // yes, remind me
			switch i % 5 {
			case 0: // reschedule to the third day offered
				// change, one person, another office, City Hall, day, time, yes, remind me
				for _, step := range []string{"5", "1", "1", "3", "1", "3", "1", "1", "1"} {
					r.say(step)
				}
			case 1: // cancel
				for _, step := range []string{"5", "2", "1"} {
					r.say(step)
				}
			case 2: // delete my data
				for _, step := range []string{"0", "1"} {
					r.say(step)
				}
			case 3:
				checkIn = append(checkIn, n)
			}
		}
		c := codeRE.FindString(reply)
		if c == "" {
			t.Fatalf("resident %d got no confirmation code:\n%s", i, reply)
		}
		codes[n] = c
		// The earliest time may be at City Hall or, once its slot is
		// full, at Northwest: the clerk checks in at the office booked.
		offices[n] = "city-hall"
		if strings.Contains(reply, "Northwest") {
			offices[n] = "northwest"
		}
	}
	for _, id := range subpoenaTelegram {
		r := &resident{t: t, api: tg, id: id, lang: "en"}
		r.book("2") // families: the party size is a count, not identifying
	}

	// A clerk signs in and checks people in, by code and by typed number.
	cookie := clerkLogin(t, base, "desk1", "clerk-password-123")
	for i, n := range checkIn {
		form := url.Values{"office": {offices[n]}}
		path := "/clerk/checkin"
		if i%2 == 0 {
			form.Set("code", codes[n])
		} else {
			path = "/clerk/checkin-phone"
			form.Set("phone", "("+n[2:5]+") "+n[5:8]+"-"+n[8:])
		}
		clerkPost(t, base+path, cookie, form)
	}
	metrics := get(t, base+"/metrics")
	e.stop(t, srv)

	// Before closing: the method finds what is there. Resident 4 (index 4:
	// booked, left to become a no-show) is in the file under epoch 1.
	keyData, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	oldKeys, err := identity.ParseKeys(keyData)
	if err != nil || len(oldKeys) != 1 {
		t.Fatalf("key file before rotation: %d keys, %v", len(oldKeys), err)
	}
	h, err := identity.NewHasher(oldKeys, identity.Params{Memory: 1024, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(e.data, dbName)
	stored := h.Hash(numbers[4], oldKeys[0])
	if db, _ := os.ReadFile(dbPath); !bytes.Contains(db, stored.Hash[:]) {
		t.Fatal("sanity: the stored hash of a booked resident is not in the file, so the scan below proves nothing")
	}

	// close-day and rotate-key, a few days on (rescheduled appointments are
	// later in the week), with the clock of a late run.
	later := append(append([]string(nil), e.vars...), "CITA_NOW=2026-12-10T20:00:00-06:00")
	saved := e.vars
	e.vars = later
	out, code := e.run("", "jobs", "run", "close-day")
	if code != 0 || !strings.Contains(out, "2026-11-30") {
		t.Fatalf("close-day: exit %d:\n%s", code, out)
	}
	if out, code := e.run("", "jobs", "run", "close-day"); code != 0 || !strings.Contains(out, "no day to close") {
		t.Errorf("second close-day: exit %d:\n%s", code, out)
	}
	out, code = e.run("", "jobs", "run", "rotate-key", "--force")
	if code != 0 || !strings.Contains(out, "added key epoch 2") || !strings.Contains(out, "destroyed key epoch 1") {
		t.Fatalf("rotate-key: exit %d:\n%s", code, out)
	}
	inspect, code := e.run("", "inspect")
	checkedIn := 0 // people, summed over the offices' counters
	for _, m := range regexp.MustCompile(`checked-in=(\d+)`).FindAllStringSubmatch(inspect, -1) {
		n, _ := strconv.Atoi(m[1])
		checkedIn += n
	}
	if code != 0 || !strings.Contains(inspect, `bucket "counters"`) || checkedIn != len(checkIn) {
		t.Errorf("inspect (exit %d) lacks the day's counters with %d check-ins:\n%s", code, len(checkIn), inspect)
	}
	e.vars = saved

	// After key destruction: the old key is gone from the key file, and the
	// old numbers hashed under the keys that remain match nothing stored.
	keyData, err = os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(keyData, []byte(base64.StdEncoding.EncodeToString(oldKeys[0].Secret[:]))) {
		t.Error("the destroyed key is still in the key file")
	}
	newKeys, err := identity.ParseKeys(keyData)
	if err != nil || len(newKeys) != 1 || newKeys[0].Epoch != 2 {
		t.Fatalf("key file after rotation: %v, %v", newKeys, err)
	}
	h2, err := identity.NewHasher(newKeys, identity.Params{Memory: 1024, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range numbers {
		if id := h2.Hash(n, newKeys[0]); bytes.Contains(db, id.Hash[:]) {
			t.Errorf("%s hashed under the remaining key is in the file", n)
		}
		if id := h.Hash(n, oldKeys[0]); bytes.Contains(db, id.Hash[:]) {
			t.Errorf("%s hashed under the destroyed key is still in the file", n)
		}
	}
	if out, _ := e.run("5\n", "chat", "--as", numbers[4]); codeRE.MatchString(out) {
		t.Errorf("an old number still finds an appointment after close-day and rotation:\n%s", out)
	}

	// The scan.
	hay := map[string][]byte{"output": e.logs.Bytes(), "metrics": metrics}
	if err := filepath.WalkDir(e.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		hay[p] = b
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var needles []needle
	for _, n := range numbers {
		needles = append(needles, numberNeedles(n)...)
	}
	for _, id := range subpoenaTelegram {
		s := strconv.FormatInt(id, 10)
		needles = append(needles, needle{s, []byte(s)}, needle{"telegram:" + s, []byte("telegram:" + s)})
		needles = append(needles, hashNeedles("telegram:"+s)...)
	}
	for _, k := range append(oldKeys, newKeys...) {
		needles = append(needles, keyNeedles(k)...)
	}
	hits := 0
	for where, b := range hay {
		for _, nd := range needles {
			if bytes.Contains(b, nd.b) {
				hits++
				if hits <= 20 {
					t.Errorf("%s holds %s", where, nd.what)
				}
			}
		}
	}
	t.Logf("searched %d places (%d bytes of output, %d of metrics) for %d needles: %d hits", len(hay), len(e.logs.Bytes()), len(metrics), len(needles), hits)
}

type needle struct {
	what string
	b    []byte
}

// numberNeedles are e164's spellings and unkeyed hashes of them.
func numberNeedles(e164 string) []needle {
	digits := e164[2:]
	national := "(" + digits[:3] + ") " + digits[3:6] + "-" + digits[6:]
	var out []needle
	for _, s := range spellings(national) {
		out = append(out, needle{fmt.Sprintf("%q", s), []byte(s)})
	}
	for _, s := range []string{e164, "1" + digits, digits} {
		out = append(out, hashNeedles(s)...)
	}
	return out
}

// hashNeedles are the unkeyed SHA-256 and MD5 of s, raw and in hex.
func hashNeedles(s string) []needle {
	sh, m := sha256.Sum256([]byte(s)), md5.Sum([]byte(s))
	return []needle{
		{"sha256(" + s + ")", sh[:]}, {"hex sha256(" + s + ")", []byte(hex.EncodeToString(sh[:]))},
		{"md5(" + s + ")", m[:]}, {"hex md5(" + s + ")", []byte(hex.EncodeToString(m[:]))},
	}
}

// keyNeedles are a key's secret raw, in hex and in base64.
func keyNeedles(k identity.Key) []needle {
	return []needle{
		{fmt.Sprintf("raw secret of %v", k), k.Secret[:]},
		{fmt.Sprintf("hex secret of %v", k), []byte(hex.EncodeToString(k.Secret[:]))},
		{fmt.Sprintf("base64 secret of %v", k), []byte(base64.StdEncoding.EncodeToString(k.Secret[:]))},
		{fmt.Sprintf("base64url secret of %v", k), []byte(base64.RawURLEncoding.EncodeToString(k.Secret[:]))},
	}
}

// clerkLogin signs in and returns the session cookie. The cookie is Secure
// (the public URL is https), so it is carried by hand over the test's http.
func clerkLogin(t *testing.T, base, user, password string) *http.Cookie {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/clerk/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "cita_clerk" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("clerk login: %s, no session cookie", resp.Status)
	return nil
}

func clerkPost(t *testing.T, u string, cookie *http.Cookie, form url.Values) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("POST %s: %s", u, resp.Status)
	}
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// TestBadKeysAndDatabase: what the binary does with a damaged database
// and with key files it must refuse, and that no run prints the key.
func TestBadKeysAndDatabase(t *testing.T) {
	e := newEnv(t)
	if out, code := e.run("4\n1\n1\n", "chat", "--as", "+1 312 555 0190"); code != 0 {
		t.Fatalf("chat: exit %d:\n%s", code, out)
	}
	dir := t.TempDir()
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("1 2026-11-30 "+base64.StdEncoding.EncodeToString(make([]byte, 16))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.key")
	good, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(open, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	inData := filepath.Join(e.data, "inside.key")
	if err := os.WriteFile(inData, good, 0o600); err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"missing key file", []string{"chat", "--key-file", filepath.Join(dir, "none.key")}, "none.key"},
		{"secret of the wrong length", []string{"chat", "--key-file", short}, "secret is 16 bytes, want 32"},
		{"key readable by others", []string{"chat", "--key-file", open}, "can be read by other users"},
		{"key inside the data dir", []string{"chat", "--key-file", inData}, "inside the data dir"},
		{"rotate-key refuses it too", []string{"jobs", "run", "rotate-key", "--key-file", inData}, "inside the data dir"},
		{"close-day before closing time", []string{"jobs", "run", "close-day", "--date", "2026-11-30"}, "have not all closed yet"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			out, code := e.run("4\n", tc.args...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want failure saying %q:\n%s", code, tc.want, out)
			}
		})
	}
	t.Run("key inside the data dir with --dev", func(t *testing.T) {
		if out, code := e.run("5\n", "chat", "--dev", "--key-file", inData, "--as", "+1 312 555 0190"); code != 0 || !codeRE.MatchString(out) {
			t.Errorf("--dev: exit %d, want the appointment shown:\n%s", code, out)
		}
	})
	t.Run("jobs", func(t *testing.T) {
		for _, args := range [][]string{{"jobs", "run", "sweep"}, {"jobs", "run", "rotate-key"}, {"inspect"}, {"jobs", "run", "close-day", "--date", "2026-11-30", "--force"}} {
			if out, code := e.run("", args...); code != 0 {
				t.Errorf("%v: exit %d:\n%s", args, code, out)
			}
		}
	})
	t.Run("corrupt database", func(t *testing.T) {
		db := filepath.Join(e.data, dbName)
		junk := bytes.Repeat([]byte("not a database "), 1000)
		if err := os.WriteFile(db, junk, 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := e.run("", "inspect")
		if code == 0 || !strings.Contains(out, "damaged") || !strings.Contains(out, "restore the last backup") {
			t.Errorf("exit %d, want a damaged-file error naming the backup:\n%s", code, out)
		}
		if after, _ := os.ReadFile(db); !bytes.Equal(after, junk) {
			t.Error("the damaged file was changed")
		}
	})
	keys, err := identity.ParseKeys(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		for _, nd := range keyNeedles(k) {
			if bytes.Contains(e.logs.Bytes(), nd.b) {
				t.Errorf("output holds the %s", nd.what)
			}
		}
	}
}
