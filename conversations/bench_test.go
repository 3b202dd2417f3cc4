package conversations_test

import (
	"testing"

	"github.com/cita-city/cita/conversations"
)

// BenchmarkHandleMenu is the conversation path of make bench in process: an
// established session going back and forth between "what to bring" and the
// menu, with the real locales and booking service.
func BenchmarkHandleMenu(b *testing.B) {
	f := newFixture(b)
	ids := make([]conversations.Inbound, 8)
	for i := range ids {
		ids[i] = conversations.Inbound{Identity: resident(i)}
		in := ids[i]
		in.Text = []string{"hello", "hola", "bonjour", "xin chào", "你好", "مرحبا", "привет", "kumusta"}[i%8]
		f.engine.Handle(in, f.now)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in := ids[i%len(ids)]
		if i/len(ids)%2 == 0 {
			in.Text = "2"
		} else {
			in.Text = "menu"
		}
		r := f.engine.Handle(in, f.now)
		_ = conversations.Render(r)
	}
}

// BenchmarkConfirm is the booking path's engine work: a resident offered
// the earliest slot says "1" (book it), the booking service books the slot
// (in memory here: the store's commit is storage's benchmark) and the
// engine writes the confirmation reply.
func BenchmarkConfirm(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		in := conversations.Inbound{Identity: resident(1000 + i), Reminders: true}
		for _, t := range []string{"hola", "4", "1"} { // a party of one: the earliest slot is offered
			in.Text = t
			f.engine.Handle(in, f.now)
		}
		b.StartTimer()
		in.Text = "1" // book it
		r := f.engine.Handle(in, f.now)
		_ = conversations.Render(r)
	}
}
