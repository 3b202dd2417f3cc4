package scheduling

import (
	"fmt"
	"strings"
)

// The toml package records where keys are only privately (and only once per
// key name, so the desks of the third [[office]] and of the first look the
// same), so a program file is scanned a second time here for the line of
// every key path. The text has already parsed as TOML when this runs; the
// scanner only needs to follow it, not to judge it.

// keyLines maps each key path in a TOML text to the line it starts on. Paths
// are written as Load names fields: tables of an array and items of an array
// by index from 0 (office[2].hours.mon[0]), nested keys joined by dots.
func keyLines(text string) map[string]int {
	sc := &keyScanner{s: text, line: 1, lines: map[string]int{}, arrays: map[string]int{}}
	sc.document()
	return sc.lines
}

// lineOf returns the line of field, or of the nearest enclosing key or table
// that has one (a missing key is reported on its table's header), or 0.
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if n, ok := lines[field]; ok {
			return n
		}
		if strings.HasSuffix(field, "]") {
			field = field[:strings.LastIndexByte(field, '[')]
		} else if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[:i]
		} else {
			field = ""
		}
	}
	return 0
}

type keyScanner struct {
	s      string
	i      int
	line   int
	lines  map[string]int
	arrays map[string]int // [[tables]] seen so far, by path without the index
}

func (sc *keyScanner) eof() bool { return sc.i >= len(sc.s) }

func (sc *keyScanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.s[sc.i]
}

func (sc *keyScanner) advance() {
	if sc.eof() {
		return
	}
	if sc.s[sc.i] == '\n' {
		sc.line++
	}
	sc.i++
}

func (sc *keyScanner) record(path string, line int) {
	if _, ok := sc.lines[path]; !ok {
		sc.lines[path] = line
	}
}

// skipSpace skips blanks and comments, and newlines too if newlines is set.
func (sc *keyScanner) skipSpace(newlines bool) {
	for !sc.eof() {
		switch c := sc.peek(); {
		case c == ' ' || c == '\t' || c == '\r' || (c == '\n' && newlines):
			sc.advance()
		case c == '#':
			for !sc.eof() && sc.peek() != '\n' {
				sc.advance()
			}
		default:
			return
		}
	}
}

func (sc *keyScanner) document() {
	prefix := ""
	for {
		sc.skipSpace(true)
		if sc.eof() {
			return
		}
		start, line := sc.i, sc.line
		if sc.peek() == '[' {
			sc.advance()
			array := sc.peek() == '['
			if array {
				sc.advance()
			}
			prefix = sc.resolve(sc.key(), array)
			sc.record(prefix, line)
			for c := sc.peek(); c == ']' || c == ' ' || c == '\t'; c = sc.peek() {
				sc.advance()
			}
		} else {
			path := join(prefix, strings.Join(sc.key(), "."))
			sc.skipSpace(false)
			if sc.peek() == '=' {
				sc.advance()
			}
			sc.record(path, line)
			sc.value(path)
		}
		if sc.i == start {
			sc.advance() // never stall on text the scanner does not follow
		}
	}
}

// resolve turns a table header's key into a path, indexing arrays of tables.
func (sc *keyScanner) resolve(parts []string, array bool) string {
	path := ""
	for j, part := range parts {
		path = join(path, part)
		if array && j == len(parts)-1 {
			n := sc.arrays[path]
			sc.arrays[path] = n + 1
			path = fmt.Sprintf("%s[%d]", path, n)
		} else if n, ok := sc.arrays[path]; ok {
			path = fmt.Sprintf("%s[%d]", path, n-1)
		}
	}
	return path
}

// key reads a possibly dotted, possibly quoted key.
func (sc *keyScanner) key() []string {
	var parts []string
	for {
		sc.skipSpace(false)
		if c := sc.peek(); c == '"' || c == '\'' {
			parts = append(parts, sc.str())
		} else {
			start := sc.i
			for !sc.eof() && isBare(sc.peek()) {
				sc.advance()
			}
			if sc.i == start {
				return parts
			}
			parts = append(parts, sc.s[start:sc.i])
		}
		sc.skipSpace(false)
		if sc.peek() != '.' {
			return parts
		}
		sc.advance()
	}
}

func isBare(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// str reads a string of any of TOML's four kinds and returns its raw contents.
func (sc *keyScanner) str() string {
	q := sc.peek()
	escapes := q == '"'
	if triple := strings.Repeat(string(q), 3); strings.HasPrefix(sc.s[sc.i:], triple) {
		sc.i += 3 // quotes are never newlines: advance's line count is unaffected
		start := sc.i
		for !sc.eof() && !strings.HasPrefix(sc.s[sc.i:], triple) {
			if escapes && sc.peek() == '\\' {
				sc.advance()
			}
			sc.advance()
		}
		end := sc.i
		for range 3 {
			sc.advance()
		}
		for sc.peek() == q { // up to two quotes may end the contents
			sc.advance()
		}
		return sc.s[start:end]
	}
	sc.advance()
	start := sc.i
	for !sc.eof() && sc.peek() != q && sc.peek() != '\n' {
		if escapes && sc.peek() == '\\' {
			sc.advance()
		}
		sc.advance()
	}
	end := sc.i
	if sc.peek() == q {
		sc.advance()
	}
	return sc.s[start:end]
}

// value reads the value of path, recording the lines of nested keys and items.
func (sc *keyScanner) value(path string) {
	sc.skipSpace(false)
	switch sc.peek() {
	case '{':
		sc.advance()
		for {
			sc.skipSpace(true)
			if sc.eof() {
				return
			}
			switch sc.peek() {
			case '}':
				sc.advance()
				return
			case ',':
				sc.advance()
				continue
			}
			start, line := sc.i, sc.line
			p := join(path, strings.Join(sc.key(), "."))
			sc.skipSpace(false)
			if sc.peek() == '=' {
				sc.advance()
			}
			sc.record(p, line)
			sc.value(p)
			if sc.i == start {
				sc.advance()
			}
		}
	case '[':
		sc.advance()
		for n := 0; ; {
			sc.skipSpace(true)
			if sc.eof() {
				return
			}
			switch sc.peek() {
			case ']':
				sc.advance()
				return
			case ',':
				sc.advance()
				continue
			}
			start := sc.i
			p := fmt.Sprintf("%s[%d]", path, n)
			sc.record(p, sc.line)
			sc.value(p)
			n++
			if sc.i == start {
				sc.advance()
			}
		}
	case '"', '\'':
		sc.str()
	default: // number, boolean, date or time
		for !sc.eof() && !strings.ContainsRune(",]}\n#", rune(sc.peek())) {
			sc.advance()
		}
	}
}

// join joins a path and a key with a dot.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
