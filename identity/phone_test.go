package identity

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// Every way a resident, a clerk or a provider might write +1 312 555 0142.
var samePhoneTests = []struct {
	name, in string
}{
	{"e164", "+13125550142"},
	{"national parens", "(312) 555-0142"},
	{"national dashes", "312-555-0142"},
	{"international spaced", "+1 312 555 0142"},
	{"trunk prefix no plus", "13125550142"},
	{"ten digits", "3125550142"},
	{"dots", "312.555.0142"},
	{"stray spaces", "  312 555  0142 "},
	{"stray dots and dashes", "1.312.555-0142."},
	{"slash", "312/555-0142"},
	{"tabs and newline", "\t312\t5550142\n"},
	{"unicode dashes", "312\u2013555\u20140142"},
	{"non-breaking space", "312\u00a0555\u00a00142"},
	{"fullwidth", "＋１ ３１２ ５５５ ０１４２"},
	{"fullwidth parens", "（３１２）５５５－０１４２"},
	{"arabic-indic", "٣١٢٥٥٥٠١٤٢"},
	{"extended arabic-indic", "+۱ ۳۱۲ ۵۵۵ ۰۱۴۲"},
	{"devanagari", "३१२५५५०१४२"},
	{"mixed scripts", "+1 ٣١٢ 555 ０１４２"},
	// US international dialing prefix 011 before the country code.
	{"idd", "011 1 312 555 0142"},
}

func TestNormalizePhoneSpellings(t *testing.T) {
	const want = "+13125550142"
	for _, tt := range samePhoneTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, "US")
			if err != nil || got != want {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, want)
			}
		})
	}
}

var otherPhoneTests = []struct {
	name, in, region, want string
}{
	{"uk with plus", "+44 20 7946 0958", "US", "+442079460958"},
	{"france with plus", "+33 1 42 68 53 00", "US", "+33142685300"},
	{"mexico city with plus", "+52 55 1234 5678", "US", "+525512345678"},
	{"uk national under GB", "020 7946 0958", "GB", "+442079460958"},
	{"lower-case region", "(312) 555-0199", "us", "+13125550199"},
	{"no region needs plus", "+1 773 555 0100", "", "+17735550100"},
	{"other NANP area", "872-555-0150", "US", "+18725550150"},
}

func TestNormalizePhoneOthers(t *testing.T) {
	for _, tt := range otherPhoneTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, tt.region)
			if err != nil || got != tt.want {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
			}
		})
	}
}

var badPhoneTests = []struct {
	name, in, region string
}{
	{"empty", "", "US"},
	{"spaces only", "   ", "US"},
	{"punctuation only", "().-", "US"},
	{"letters", "hello", "US"},
	{"vanity number", "1-800-FLOWERS", "US"},
	{"hash sign", "312 555 0142#", "US"},
	{"plus in the middle", "312+5550142", "US"},
	{"too short", "12", "US"},
	{"seven digits local only", "555-0142", "US"},
	{"one digit short", "312555014", "US"},
	{"one digit long", "+1 312 555 01423", "US"},
	{"far too long", "3125550142999", "US"},
	{"over the input limit", strings.Repeat("1", 100), "US"},
	// Area codes never start with 0 or 1 in NANP.
	{"invalid area code", "(112) 555-0142", "US"},
	{"no country code without region", "3125550142", ""},
	{"unknown country code", "+999 1234 5678", "US"},
	{"superscript digits", "³¹²5550142", "US"},
	{"telegram address", "telegram:12345", "US"},
	{"extension without digits", "312 555 0142 ext", "US"},
	{"letters after the extension", "312 555 0142 x7 please", "US"},
	{"other tel parameter", "tel:+13125550142;phone-context=example.com", "US"},
}

func TestNormalizePhoneRejects(t *testing.T) {
	for _, tt := range badPhoneTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, tt.region)
			if !errors.Is(err, ErrNotPhone) {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want ErrNotPhone", tt.in, got, err)
			}
			if digits := strings.Map(keepDigit, tt.in); len(digits) >= 3 && strings.Contains(err.Error(), digits) {
				t.Errorf("error %q repeats the input", err)
			}
		})
	}
}

func keepDigit(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}

func TestNormalizePhoneUnknownRegion(t *testing.T) {
	_, err := NormalizePhone("3125550142", "XX")
	if err == nil || errors.Is(err, ErrNotPhone) {
		t.Fatalf("unknown region: got %v, want a configuration error that is not ErrNotPhone", err)
	}
}

// The project's test numbers are the fictional 555-0100..555-0199 range.
// libphonenumber's metadata counts them as valid (not merely possible)
// numbers; if an upgrade ever changes that, this test says so first.
func TestNormalizePhoneFictionalRange(t *testing.T) {
	for _, area := range []string{"312", "773", "872", "212"} {
		for line := 100; line <= 199; line++ {
			in := fmt.Sprintf("(%s) 555-%04d", area, line)
			want := fmt.Sprintf("+1%s555%04d", area, line)
			if got, err := NormalizePhone(in, "US"); err != nil || got != want {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
			}
		}
	}
}

// digitValue relies on every Nd range being whole sets of ten with stride 1.
func TestDigitValueCoversNd(t *testing.T) {
	check := func(lo, hi, stride uint32) {
		if stride != 1 || (hi-lo+1)%10 != 0 {
			t.Errorf("Nd range %U-%U stride %d is not whole sets of ten", lo, hi, stride)
		}
	}
	for _, r := range unicode.Nd.R16 {
		check(uint32(r.Lo), uint32(r.Hi), uint32(r.Stride))
	}
	for _, r := range unicode.Nd.R32 {
		check(r.Lo, r.Hi, r.Stride)
	}
	for _, tt := range []struct {
		r    rune
		want int
	}{{'7', 7}, {'٧', 7}, {'۷', 7}, {'７', 7}, {'७', 7}, {'\U0001D7D5', 7} /* mathematical bold 7 */} {
		if got, ok := digitValue(tt.r); !ok || got != tt.want {
			t.Errorf("digitValue(%U) = %d, %v; want %d", tt.r, got, ok, tt.want)
		}
	}
}

func TestTelegramAddress(t *testing.T) {
	if got := TelegramAddress(123456789); got != "telegram:123456789" {
		t.Fatalf("TelegramAddress = %q", got)
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, tt := range samePhoneTests {
		f.Add(tt.in)
	}
	for _, tt := range otherPhoneTests {
		f.Add(tt.in)
	}
	for _, tt := range badPhoneTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, region := range []string{"US", "GB", ""} {
			got, err := NormalizePhone(s, region)
			if err != nil {
				if !errors.Is(err, ErrNotPhone) {
					t.Fatalf("NormalizePhone(%q, %q): error %v is not ErrNotPhone", s, region, err)
				}
				continue
			}
			if len(got) < 2 || got[0] != '+' || strings.Trim(got[1:], "0123456789") != "" {
				t.Fatalf("NormalizePhone(%q, %q) = %q: not +digits", s, region, got)
			}
			again, err := NormalizePhone(got, region)
			if err != nil || again != got {
				t.Fatalf("NormalizePhone(%q) = %q, but that re-normalizes to %q, %v", s, got, again, err)
			}
			if sender, err := NormalizeSender(s, region); sender != got || err != nil {
				t.Fatalf("NormalizeSender(%q) = %q, %v; NormalizePhone gives %q", s, sender, err, got)
			}
		}
	})
}
