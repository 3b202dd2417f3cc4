package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
	"github.com/cita-city/cita/storage"
)

// sessionsCmd opens n live sessions in a conversations.Engine wired as the
// bot wires it and prints the growth of RSS and of the live heap per
// session. The identity hashes are made up: the argon2id stretch is
// measured elsewhere, and its cache is the identity package's.
func sessionsCmd(args []string) error {
	fs := flag.NewFlagSet("sessions", flag.ExitOnError)
	n := fs.Int("n", 100000, "live sessions")
	_ = fs.Parse(args)
	dir, err := os.MkdirTemp("", "cita-sessions-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	program := scheduling.Demo()
	catalog, err := locales.Load()
	if err != nil {
		return err
	}
	store, err := storage.Open(filepath.Join(dir, "cita.db"), storage.Options{Location: program.Location, NoSync: true})
	if err != nil {
		return err
	}
	defer store.Close()
	engine := conversations.New(scheduling.NewService(program, store), catalog)
	now := benchTime
	// One warm-up resident, so lazily built tables are not counted: every
	// greeting, so that the language detector (built at the first message
	// it is asked about, ~20 MiB) is built before the count starts.
	for i, g := range greetings {
		engine.Handle(conversations.Inbound{Identity: scheduling.Identity{Epoch: 1}, Text: g}, now.Add(-time.Duration(len(greetings)-i)*time.Hour))
	}
	heap0, rss0 := memory()
	for i := range *n {
		var id scheduling.Identity
		id.Epoch = 1
		binary.BigEndian.PutUint64(id.Hash[:], uint64(i)+1)
		copy(id.Hash[8:], "made-up session identity")
		engine.Handle(conversations.Inbound{Identity: id, Text: greetings[i%len(greetings)]}, now.Add(time.Duration(i)*time.Millisecond))
	}
	heap1, rss1 := memory()
	if got := engine.Sessions(); got != *n+1 {
		return fmt.Errorf("%d live sessions, want %d", got, *n+1)
	}
	bench("session_bytes", float64(rss1-rss0)/float64(*n), "B")
	bench("session_heap_bytes", float64(heap1-heap0)/float64(*n), "B")
	runtime.KeepAlive(engine)
	return nil
}

// memory returns the live heap after a collection, and the resident set.
func memory() (heap, rss int64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	data, err := os.ReadFile("/proc/self/statm")
	if err == nil {
		if f := strings.Fields(string(data)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	return int64(ms.HeapAlloc), rss
}
