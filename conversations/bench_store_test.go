package conversations_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// BenchmarkConfirmStored is the booking webhook's engine and store work as
// make bench drives it: residents at the confirmation step of the demo
// program with 100,000 desks say "1", concurrently, against a bbolt store
// (NoSync: the fsync is storage's own benchmark).
func BenchmarkConfirmStored(b *testing.B) {
	catalog, err := locales.Load()
	if err != nil {
		b.Fatal(err)
	}
	src := scheduling.DemoProgramWithDesks(100000)
	program, err := scheduling.Load(scheduling.DemoName, src)
	if err != nil {
		b.Fatal(err)
	}
	store, err := storage.Open(filepath.Join(b.TempDir(), "cita.db"), storage.Options{Location: program.Location, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	engine := conversations.New(scheduling.NewService(program, store), catalog)
	n := b.N + 64
	ins := make([]conversations.Inbound, n)
	for i := range ins {
		ins[i] = conversations.Inbound{Identity: resident(1000 + i), Reminders: true}
		for _, t := range []string{"hello", "4", "1"} { // one person: the earliest slot offered
			ins[i].Text = t
			engine.Handle(ins[i], start)
		}
		ins[i].Text = "1"
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := ins[next.Add(1)-1]
			r := engine.Handle(in, start)
			if len(r.Effects) == 0 {
				b.Errorf("no booking: %s", r.Text)
			}
		}
	})
}
