package scheduling

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

func TestNewCode(t *testing.T) {
	if len(CodeAlphabet) != 31 || strings.ContainsAny(CodeAlphabet, "01ILO") {
		t.Fatalf("alphabet %q", CodeAlphabet)
	}
	for range 1000 {
		c, err := NewCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ValidCode(c) {
			t.Fatalf("NewCode = %q, not valid", c)
		}
	}
}

func TestNewCodeFromBytes(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"first six characters", []byte{0, 1, 2, 3, 4, 5}, "234567"},
		{"wraps modulo 31", []byte{30, 31, 61, 62, 247, 8}, "Z2Z2ZA"},
		// 248..255 would make the first 8 characters likelier: skipped.
		{"rejects bytes past the last multiple of 31", []byte{248, 255, 0, 250, 1, 2, 3, 4, 252, 5}, "234567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewCode(bytes.NewReader(tt.in))
			if err != nil || got != tt.want {
				t.Errorf("NewCode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewCodeShortRead(t *testing.T) {
	_, err := NewCode(bytes.NewReader([]byte{0, 1, 2}))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("NewCode = %v, want ErrUnexpectedEOF", err)
	}
}

// TestCodeDistribution draws 31,000 characters and checks each of the 31
// appears about 1,000 times: a chi-square test with 30 degrees of freedom,
// whose 99.99th percentile is about 67.
func TestCodeDistribution(t *testing.T) {
	counts := map[rune]int{}
	const codes = 31 * 1000 / CodeLen
	for range codes {
		c, err := NewCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range c {
			counts[r]++
		}
	}
	want := float64(codes*CodeLen) / 31
	chi := 0.0
	for _, r := range CodeAlphabet {
		d := float64(counts[r]) - want
		chi += d * d / want
	}
	if len(counts) != 31 || chi > 67 || math.IsNaN(chi) {
		t.Errorf("chi-square %.1f over %d characters: %v", chi, len(counts), counts)
	}
}

func TestNormalizeAndValidCode(t *testing.T) {
	tests := []struct {
		in    string
		norm  string
		valid bool
	}{
		{"K7M2QX", "K7M2QX", true},
		{"k7m2qx", "K7M2QX", true},
		{" k7m 2qx\n", "K7M2QX", true},
		{"K7M-2QX", "K7M2QX", true},
		{"K7M2Q", "K7M2Q", false},     // too short
		{"K7M2QXA", "K7M2QXA", false}, // too long
		{"K0M2QX", "K0M2QX", false},   // 0 is not in the alphabet
		{"KOM2QX", "KOM2QX", false},   // nor O
		{"K1M2QX", "K1M2QX", false},   // nor 1
		{"KIM2QX", "KIM2QX", false},   // nor I
		{"KLM2QX", "KLM2QX", false},   // nor L
		{"", "", false},
		{"K7M2QÉ", "K7M2QÉ", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n := NormalizeCode(tt.in)
			if n != tt.norm || ValidCode(n) != tt.valid {
				t.Errorf("NormalizeCode = %q (valid %v), want %q (%v)", n, ValidCode(n), tt.norm, tt.valid)
			}
		})
	}
	if ValidCode("k7m2qx") {
		t.Error("ValidCode accepts lower case; it wants the normalized form")
	}
}
