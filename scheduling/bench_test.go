package scheduling

import (
	"testing"
	"time"
)

// BenchmarkDays is the question a resident's "book" asks first: the days
// with a free slot at an office over the whole horizon of the demo program.
func BenchmarkDays(b *testing.B) {
	p, err := Load(DemoName, DemoProgram)
	if err != nil {
		b.Fatal(err)
	}
	s := NewService(p, newMemStore())
	now := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	office := p.Offices[0].ID
	b.ReportAllocs()
	for b.Loop() {
		if days, err := s.Days(office, 1, now); err != nil || len(days) == 0 {
			b.Fatal(days, err)
		}
	}
}
