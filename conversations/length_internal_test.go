package conversations

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

// encodeRef is Encode as first written, with a buffer of widths: the
// reference the allocation-free one must match.
func encodeRef(s string) (int, string) {
	var units []int
	encoding := GSM7
	for _, r := range s {
		w, ok := gsmWidth[r]
		if !ok {
			encoding = UCS2
			break
		}
		units = append(units, w)
	}
	single, part := gsmSingle, gsmPart
	if encoding == UCS2 {
		units = units[:0]
		for _, r := range s {
			units = append(units, len(utf16.Encode([]rune{r})))
		}
		single, part = ucs2Single, ucs2Part
	}
	total := 0
	for _, w := range units {
		total += w
	}
	switch {
	case total == 0:
		return 0, encoding
	case total <= single:
		return 1, encoding
	}
	n, used := 1, 0
	for _, w := range units {
		if used+w > part {
			n++
			used = 0
		}
		used += w
	}
	return n, encoding
}

func TestEncodeMatchesReference(t *testing.T) {
	alphabet := []rune("aZ0 \n€[]^{}|~éá’—日本😀👩🏽‍💻مرحباпривіт\u200f\x00\xff" + string(rune(0xFFFD)))
	rng := rand.New(rand.NewPCG(3, 2026))
	texts := []string{"", "a", "€", "\xff\xfe", strings.Repeat("a", 160), strings.Repeat("a", 161), strings.Repeat("€", 80),
		strings.Repeat("€", 81), strings.Repeat("é", 70), strings.Repeat("á", 70), strings.Repeat("á", 71), strings.Repeat("😀", 35), strings.Repeat("😀", 36)}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		if rng.IntN(4) == 0 {
			b.WriteString("\xc3") // a cut UTF-8 sequence
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		n, enc := Encode(s)
		wn, wenc := encodeRef(s)
		if n != wn || enc != wenc {
			t.Fatalf("Encode(%q) = %d %s, reference %d %s", s, n, enc, wn, wenc)
		}
	}
	if a := testing.AllocsPerRun(100, func() { Encode(texts[len(texts)-1]) }); a != 0 {
		t.Errorf("Encode allocates %v times a call", a)
	}
}
