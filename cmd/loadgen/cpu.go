package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux ABI Go supports).
const clockTick = 10 * time.Millisecond

// procCPU returns the user plus system CPU time process pid ("self" for
// this one) has used so far, from /proc/PID/stat.
func procCPU(pid string) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(raw))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/PID/stat line. The command name (field 2) is in parentheses and
// may hold spaces, so fields are counted after its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so utime (14) is f[11] and stime (15) f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields", len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %v", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// cpuMeter measures the CPU two processes use over a run: the load
// generator (this process) and the server.
type cpuMeter struct {
	server              string // pid
	gen0, server0, all0 time.Duration
	wall0               time.Time
}

func startCPU(serverPID int) *cpuMeter {
	m := &cpuMeter{server: strconv.Itoa(serverPID), wall0: time.Now()}
	m.gen0, _ = procCPU("self")
	m.server0, _ = procCPU(m.server)
	m.all0, _ = machineCPU()
	return m
}

// cpuUse is CPU used over a wall time, in cores (1 = one core busy): by
// the generator, the server, and every other process of the machine.
type cpuUse struct{ gen, server, other float64 }

func (m *cpuMeter) stop() cpuUse {
	wall := time.Since(m.wall0).Seconds()
	gen, _ := procCPU("self")
	srv, _ := procCPU(m.server)
	all, _ := machineCPU()
	u := cpuUse{gen: (gen - m.gen0).Seconds() / wall, server: (srv - m.server0).Seconds() / wall}
	u.other = max(0, (all-m.all0).Seconds()/wall-u.gen-u.server)
	return u
}

func (u cpuUse) String() string {
	return fmt.Sprintf("CPU generator %.2f, server %.2f, others %.2f cores", u.gen, u.server, u.other)
}

// machineCPU returns the busy CPU time of all cores so far (the first line
// of /proc/stat: every field but idle and iowait).
func machineCPU() (time.Duration, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line")
	}
	var ticks int64
	for i, s := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %v", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// loadAvg returns the 1-minute load average, or -1.
func loadAvg() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
