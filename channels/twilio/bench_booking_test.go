package twilio

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cita-city/cita/channels/twilio/twiliotest"
	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// BenchmarkBookingWebhook is make bench's booking path in process: many
// residents offered the earliest slot book it ("1") concurrently through a
// signed webhook, with the real engine, booking service and a bbolt store
// with fsync. ns/op is wall time per booking over all bookers.
func BenchmarkBookingWebhook(b *testing.B) {
	catalog, err := locales.Load()
	if err != nil {
		b.Fatal(err)
	}
	src := scheduling.DemoProgramWithDesks(100000)
	program, err := scheduling.Load(scheduling.DemoName, src)
	if err != nil {
		b.Fatal(err)
	}
	store, err := storage.Open(filepath.Join(b.TempDir(), "cita.db"), storage.Options{Location: program.Location})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	engine := conversations.New(scheduling.NewService(program, store), catalog)
	now := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	ch, err := New(Config{
		Kind:   smsKind,
		Engine: engine, IDs: hasher{}, Normalize: identity.NormalizeSender, Texts: catalog, Program: program,
		Provider:  NewTwilio(twiliotest.AccountSID, twiliotest.AuthToken, twiliotest.ServiceSID, http.DefaultClient),
		AuthToken: twiliotest.AuthToken, PublicURL: publicURL,
		Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer ch.Close()
	var numbers []string
	for a := 201; len(numbers) < b.N+128 && a < 1000; a++ {
		if _, err := identity.NormalizePhone(fmt.Sprintf("+1%d5550142", a), "US"); err != nil {
			continue
		}
		for line := range 100 {
			numbers = append(numbers, fmt.Sprintf("+1%d55501%02d", a, line))
		}
	}
	if len(numbers) < b.N+128 {
		b.Skipf("only %d numbers", len(numbers))
	}
	for _, n := range numbers[:b.N+128] {
		ids, _ := hasher{}.Identities(n, now)
		in := conversations.Inbound{Identity: ids[0], Aliases: ids[1:], Reminders: true}
		for _, t := range []string{"hello", "4", "1"} { // one person: the earliest slot offered
			in.Text = t
			engine.Handle(in, now)
		}
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			form := inbound(fmt.Sprintf("SM%032d", i), "1")
			form.Set("From", numbers[i])
			req := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080"+Path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", formType)
			req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, publicURL+Path, form))
			w := httptest.NewRecorder()
			ch.ServeHTTP(w, req)
			if !strings.Contains(w.Body.String(), "¿") && !strings.Contains(w.Body.String(), "?") {
				b.Errorf("no booking: %s", w.Body.String())
			}
		}
	})
}
