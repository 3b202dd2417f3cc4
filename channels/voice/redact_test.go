package voice

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// callFake is Twilio's Calls resource: a list, and DELETE of one.
type callFake struct {
	mu      sync.Mutex
	calls   map[string]map[string]any // sid -> record
	deletes []string
	fail    string // a sid whose DELETE answers 500
}

func (f *callFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const prefix = "/2010-04-01/Accounts/ACtest/Calls"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == prefix+".json":
		var list []map[string]any
		for _, c := range f.calls {
			list = append(list, c)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"calls": list, "page": 0, "page_size": 50, "next_page_uri": nil})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, prefix+"/"):
		sid := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix+"/"), ".json")
		f.deletes = append(f.deletes, sid)
		if sid == f.fail {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"code": 20500, "message": "boom", "status": 500}`))
			return
		}
		if _, ok := f.calls[sid]; !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code": 20404, "message": "not found", "status": 404}`))
			return
		}
		delete(f.calls, sid)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// toFake sends every request to the fake server.
type toFake struct{ base *url.URL }

func (t toFake) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, t.base.Host
	return http.DefaultTransport.RoundTrip(r)
}

// TestRedactCalls: the real twilio-go client deletes the records of calls
// that ended before the delay, and keeps calls going or too recent.
func TestRedactCalls(t *testing.T) {
	now := testNow
	rec := func(sid, status string, end time.Time) map[string]any {
		m := map[string]any{"sid": sid, "status": status, "from": "+13125550142", "account_sid": "ACtest"}
		if !end.IsZero() {
			m["end_time"] = end.Format(time.RFC1123Z)
		}
		return m
	}
	f := &callFake{calls: map[string]map[string]any{
		"CAold":    rec("CAold", "completed", now.Add(-2*time.Hour)),
		"CAbusy":   rec("CAbusy", "no-answer", now.Add(-3*time.Hour)),
		"CArecent": rec("CArecent", "completed", now.Add(-10*time.Minute)),
		"CAgoing":  rec("CAgoing", "in-progress", time.Time{}),
		"CAfails":  rec("CAfails", "completed", now.Add(-5*time.Hour)),
	}, fail: "CAfails"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	calls := NewTwilioCalls("ACtest", "token", &http.Client{Transport: toFake{base}, Timeout: 5 * time.Second})
	var logs syncBuffer
	n, err := Redact(calls, now, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
	if n != 2 || err == nil || !strings.Contains(err.Error(), "1 of 3") || strings.Contains(err.Error(), "CAfails") {
		t.Errorf("Redact = %d, %v; want 2 deleted and 1 of 3 failed, naming no call", n, err)
	}
	slices.Sort(f.deletes)
	if want := []string{"CAbusy", "CAfails", "CAold"}; !slices.Equal(f.deletes, want) {
		t.Errorf("deleted %v, want %v", f.deletes, want)
	}
	if _, ok := f.calls["CArecent"]; !ok {
		t.Error("a call younger than the delay was deleted")
	}
	if strings.Contains(logs.String(), "5550142") || strings.Contains(logs.String(), "CA") {
		t.Errorf("the log names a call: %s", logs.String())
	}
	// Gone already (deleted by hand at Twilio): counts as done.
	if err := calls.Delete("CAnever"); err != nil {
		t.Errorf("Delete of a call already gone: %v", err)
	}
}
