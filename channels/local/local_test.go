package local_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/local"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

var now = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func resident(t *testing.T) *local.Resident {
	t.Helper()
	program := scheduling.Demo()
	store, err := storage.Open(filepath.Join(t.TempDir(), "cita.db"), storage.Options{Location: program.Location})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.NewKey(1, scheduling.DateOf(now), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]identity.Key{key}, identity.Params{Memory: 64, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &local.Resident{
		Engine:    conversations.New(scheduling.NewService(program, store), catalog),
		IDs:       hasher,
		Normalize: identity.NormalizePhone,
		Region:    program.Region,
	}
}

func TestHandler(t *testing.T) {
	h := local.Handler(resident(t), "tok3n", func() time.Time { return now })
	const good = `{"as":"(312) 555-0142","text":"4"}`
	tests := []struct {
		name    string
		method  string
		remote  string
		headers map[string]string
		body    string
		status  int
		want    string // in the body
	}{
		{name: "sms", body: good, status: 200, want: `1 2 3 4 5`},
		{name: "whatsapp numbered list", body: `{"as":"312-555-0144","text":"4","channel":"whatsapp"}`, status: 200, want: `1 2 3 4 5`},
		{name: "telegram buttons", body: `{"as":"312-555-0143","text":"4","channel":"telegram"}`, status: 200, want: `[ 1 ]`},
		{name: "from another host", remote: "192.0.2.7:4000", body: good, status: 403},
		// A proxy on the same machine would make every client look local.
		{name: "through a proxy", headers: map[string]string{"X-Forwarded-For": "198.51.100.2"}, body: good, status: 403},
		{name: "wrong token", headers: map[string]string{"Authorization": "Bearer nope"}, body: good, status: 401},
		{name: "no token", headers: map[string]string{"Authorization": ""}, body: good, status: 401},
		{name: "GET", method: http.MethodGet, status: 405},
		{name: "too large", body: `{"as":"3125550142","text":"` + strings.Repeat("x", 20<<10) + `"}`, status: 413},
		{name: "not JSON", body: `as=3125550142`, status: 400},
		{name: "not a phone number", body: `{"as":"hello","text":"4"}`, status: 400, want: "not a phone number"},
		{name: "unknown channel", body: `{"as":"3125550142","text":"4","channel":"fax"}`, status: 400, want: "channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/local/chat", strings.NewReader(tc.body))
			req.RemoteAddr = "127.0.0.1:5555"
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			req.Header.Set("Authorization", "Bearer tok3n")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 200 {
				var out local.Response
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(out.Text, tc.want) {
					t.Errorf("reply lacks %q:\n%s", tc.want, out.Text)
				}
			} else if !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("body lacks %q: %s", tc.want, w.Body)
			}
		})
	}
}
