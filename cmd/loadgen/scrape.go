package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrapeClient reads /metrics on a connection of its own each time, so
// that no connection it leaves open holds a goroutine of the server
// between two readings of go_goroutines.
var scrapeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

// scrape reads the server's /metrics and returns each metric's value
// summed over its label sets, by name.
func scrape(base string) (map[string]float64, error) {
	resp, err := scrapeClient.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads Prometheus' text format: `name value` or
// `name{labels} value`, optionally followed by a timestamp; comments and
// blank lines are skipped. Samples of one name are summed.
func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			// Label values may hold spaces and braces, but not an
			// unescaped quote: the label set ends at the first '}'
			// outside quotes.
			end, quoted := -1, false
			for i := 1; i < len(rest); i++ {
				switch c := rest[i]; {
				case c == '\\' && quoted:
					i++
				case c == '"':
					quoted = !quoted
				case c == '}' && !quoted:
					end = i
				}
				if end >= 0 {
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("metrics: unterminated labels of %s", name)
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return nil, fmt.Errorf("metrics: %s has no value", name)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: %s: %v", name, err)
		}
		out[name] += v
	}
	return out, sc.Err()
}
