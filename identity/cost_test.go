package identity

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cita-city/cita/scheduling"
)

// enumerated is how many numbers an attacker tries to reverse every hash of
// a Chicago database: 312, 773 and 872, ten million numbers each.
const enumerated = 3e7

// BenchmarkHashCost measures one hash of each construction on this machine
// and prints, after the sub-benchmarks, lines
//
//	BENCH <name> <value> <unit>
//
// with the cost per hash and the projected time to hash all 3e7 numbers of
// 312/773/872 on one core and on every core of this machine. Run it with
//
//	go test ./identity -run '^$' -bench HashCost -benchtime 2s
//
// The argon2id figures use DefaultParams, what the bot runs unless
// CITA_ARGON2_MEMORY / CITA_ARGON2_TIME say otherwise.
func BenchmarkHashCost(b *testing.B) {
	key, err := NewKey(1, scheduling.Date{Year: 2026, Month: 1, Day: 1}, strings.NewReader(strings.Repeat("k", 32)))
	if err != nil {
		b.Fatal(err)
	}
	h, err := NewHasher([]Key{key}, DefaultParams(), 1)
	if err != nil {
		b.Fatal(err)
	}
	// Spelled out beforehand, so the figures are the hashes' alone.
	numbers := make([]string, 10000)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+1312%07d", i*997)
	}
	number := func(i int) string { return numbers[i%len(numbers)] }
	cases := []struct {
		name string
		fn   func(i int)
	}{
		{"md5", func(i int) { md5.Sum([]byte(number(i))) }},
		{"sha256", func(i int) { sha256.Sum256([]byte(number(i))) }},
		{"hmac-sha256", func(i int) {
			m := hmac.New(sha256.New, key.Secret[:])
			m.Write([]byte(number(i)))
			m.Sum(nil)
		}},
		{"argon2id", func(i int) { h.Hash(number(i), key) }},
	}
	per := map[string]time.Duration{}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				c.fn(i)
			}
			d := b.Elapsed() / time.Duration(b.N)
			per[c.name] = d
			b.ReportMetric(float64(d.Nanoseconds())*enumerated/1e9, "s/3e7-numbers")
		})
	}
	cores := runtime.NumCPU()
	fmt.Printf("BENCH cores %d count\n", cores)
	for _, c := range cases {
		d, ok := per[c.name]
		if !ok {
			continue
		}
		total := time.Duration(float64(d) * enumerated)
		fmt.Printf("BENCH %s-per-hash %.3f us\n", c.name, float64(d.Nanoseconds())/1e3)
		fmt.Printf("BENCH %s-3e7-one-core %.1f s\n", c.name, total.Seconds())
		fmt.Printf("BENCH %s-3e7-all-cores %.1f s\n", c.name, total.Seconds()/float64(cores))
	}
	if d, ok := per["argon2id"]; ok {
		fmt.Printf("BENCH cita-with-key-3e7-one-core %.2f core-days\n", float64(d)*enumerated/float64(24*time.Hour))
		// Without the key each guess is a guess of 256 key bits first.
		fmt.Println("BENCH cita-without-key-3e7 +Inf s")
		fmt.Printf("BENCH unkeyed-sha256-3e7-one-core %.1f s\n", float64(per["sha256"])*enumerated/float64(time.Second))
	}
}
