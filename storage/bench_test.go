package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cita-city/cita/scheduling"
)

// realistic returns appointment i of a plausible program: 5 offices, 30
// days of 8 hours with 15-minute slots, random hashes, 8-character codes.
func realistic(rng *rand.Rand, i int) scheduling.Appointment {
	offices := []string{"downtown", "north-side", "south-side", "west-loop", "harbor"}
	langs := []string{"en", "es", "pl", "zh-Hans", "ar"}
	var id scheduling.Identity
	id.Epoch = 3
	for j := range id.Hash {
		id.Hash[j] = byte(rng.Uint32())
	}
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	code := make([]byte, 8)
	for j := range code {
		code[j] = alphabet[rng.IntN(len(alphabet))]
	}
	start := day0.AddDays(rng.IntN(30)).In(chicago, 9+rng.IntN(8), 15*rng.IntN(4))
	return scheduling.Appointment{
		Identity: id, Office: offices[rng.IntN(len(offices))], Start: start,
		Lang: langs[rng.IntN(len(langs))], Code: fmt.Sprintf("%s%d", code, i%10), // unique enough, 9 bytes
		Status: scheduling.StatusBooked, Made: day0,
	}
}

// TestFileBytesPerAppointment measures the file size per appointment after
// booking one at a time, and after Compact. Target: <= 350 bytes at 100k.
func TestFileBytesPerAppointment(t *testing.T) {
	if testing.Short() {
		t.Skip("books 10k appointments")
	}
	sizes := []int{10_000}
	if os.Getenv("CITA_STORAGE_100K") != "" { // ~25 s
		sizes = append(sizes, 100_000)
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cita.db")
			s := mustOpenAt(t, path, Options{NoSync: true})
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			for i := 0; i < n; {
				err := s.Insert(realistic(rng, i), 1<<20)
				switch {
				case err == nil:
					i++
				case !errors.Is(err, scheduling.ErrCodeTaken):
					t.Fatal(err)
				}
			}
			fi, _ := os.Stat(path)
			used := inUse(t, s)
			if err := s.Compact(); err != nil {
				t.Fatal(err)
			}
			fc, _ := os.Stat(path)
			t.Logf("%d appointments: file %d B (%.0f B each), pages in use %d B (%.0f B each); compacted %d B (%.0f B each)",
				n, fi.Size(), float64(fi.Size())/float64(n), used, float64(used)/float64(n),
				fc.Size(), float64(fc.Size())/float64(n))
			if per := float64(fi.Size()) / float64(n); per > 350 {
				t.Errorf("%.0f bytes of file per appointment, target 350", per)
			}
		})
	}
}

func inUse(t *testing.T, s *Store) int64 {
	var used int64
	s.view(func(tx *bolt.Tx) error {
		st := s.db.Stats()
		used = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize)
		return nil
	})
	return used
}

// benchInsert books b.N distinct appointments with 200 concurrent bookers
// (or one, sequential), through Update or Batch, with fsync.
func benchInsert(b *testing.B, mode commitMode, parallel bool) {
	s := mustOpenAt(b, filepath.Join(b.TempDir(), "cita.db"), Options{})
	s.commit = mode
	var next atomic.Int64
	book := func() {
		i := int(next.Add(1))
		a := appt(i, fmt.Sprintf("B%07d", i), "north", slot(9, 0).Add(time.Duration(i%500)*15*time.Minute))
		a.Identity.Hash[2], a.Identity.Hash[3] = byte(i>>16), byte(i>>24)
		if err := s.Insert(a, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if parallel {
		b.SetParallelism(200 / max(1, runtimeProcs()))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				book()
			}
		})
	} else {
		for b.Loop() {
			book()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
}

func BenchmarkInsertGroupSequential(b *testing.B)    { benchInsert(b, commitGroup, false) }
func BenchmarkInsertGroup200(b *testing.B)           { benchInsert(b, commitGroup, true) }
func BenchmarkInsertUpdateSequential(b *testing.B)   { benchInsert(b, commitUpdate, false) }
func BenchmarkInsertBatchSequential(b *testing.B)    { benchInsert(b, commitBatch, false) }
func BenchmarkInsertAdaptiveSequential(b *testing.B) { benchInsert(b, commitAdaptive, false) }
func BenchmarkInsertUpdate200(b *testing.B)          { benchInsert(b, commitUpdate, true) }
func BenchmarkInsertBatch200(b *testing.B)           { benchInsert(b, commitBatch, true) }
func BenchmarkInsertAdaptive200(b *testing.B)        { benchInsert(b, commitAdaptive, true) }

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
