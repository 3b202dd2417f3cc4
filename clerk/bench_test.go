package clerk_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cita-city/cita/scheduling"
)

// BenchmarkDayList renders tomorrow's day list of 2,000 appointments at one
// office (make bench's day list) through the handler, signed in.
func BenchmarkDayList(b *testing.B) {
	f := newFixture(b)
	day := scheduling.DateOf(t0).AddDays(1)
	langs := []string{"en", "es", "pl", "zh", "ar"}
	for i := range 2000 {
		var id scheduling.Identity
		id.Epoch = 1
		copy(id.Hash[:], fmt.Sprintf("bench resident %06d", i))
		a := scheduling.Appointment{Identity: id, Office: office, Start: day.In(f.program.Location, 9+i%8, 15*(i/8%4)),
			Lang: langs[i%len(langs)], Code: fmt.Sprintf("B%05d", i), Status: scheduling.StatusBooked, Made: day.AddDays(-1)}
		if err := f.store.Insert(a, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
	// Sign in through the handler, keep the session cookie.
	req := httptest.NewRequest("POST", "/clerk/login", strings.NewReader(url.Values{"username": {"ana"}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	if w.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", w.Code)
	}
	cookies := w.Result().Cookies()
	path := "/clerk/?" + url.Values{"date": {day.String()}, "office": {office}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("day list: %d", w.Code)
		}
		body, _ := io.ReadAll(w.Body)
		if n := strings.Count(string(body), `class="code"`); n != 2000 {
			b.Fatalf("%d rows", n)
		}
	}
}
