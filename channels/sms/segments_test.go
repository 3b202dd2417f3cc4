package sms

import (
	"strings"
	"testing"
)

var segmentTests = []struct {
	name string
	s    string
	n    int
	enc  string
}{
	{"empty", "", 0, GSM7},
	{"one GSM segment", strings.Repeat("a", 160), 1, GSM7},
	{"GSM split at 153", strings.Repeat("a", 161), 2, GSM7},
	{"two full GSM parts", strings.Repeat("a", 306), 2, GSM7},
	{"three GSM parts", strings.Repeat("a", 307), 3, GSM7},
	// The extension table (€, [, ]) costs two septets each.
	{"euro counts double", strings.Repeat("€", 80), 1, GSM7},
	{"euro over a single segment", strings.Repeat("€", 81), 2, GSM7},
	// An escape pair never straddles parts: 152 septets + € does not fit in 153.
	{"escape pair moves to next part", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), 2, GSM7},
	{"escape pair at a part boundary", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), 3, GSM7},
	{"GSM accents stay GSM", "é è ù ì ò Ñ ñ ü à ¿ ¡", 1, GSM7},
	{"one á forces UCS-2", strings.Repeat("a", 69) + "á", 1, UCS2},
	{"UCS-2 split at 67", strings.Repeat("a", 70) + "á", 2, UCS2},
	{"curly apostrophe", "don’t", 1, UCS2},
	{"three UCS-2 parts", strings.Repeat("í", 201), 3, UCS2},
	{"four UCS-2 parts", strings.Repeat("í", 202), 4, UCS2},
	// An emoji is a surrogate pair: two units, never split.
	{"emoji counts two units", strings.Repeat("😀", 35), 1, UCS2},
	{"emoji pair not split", "a" + strings.Repeat("😀", 35), 2, UCS2},
}

func TestSegments(t *testing.T) {
	for _, tc := range segmentTests {
		n, enc := Segments(tc.s)
		if n != tc.n || enc != tc.enc {
			t.Errorf("%s: Segments = %d, %s; want %d, %s", tc.name, n, enc, tc.n, tc.enc)
		}
	}
}
