package identity

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// slowNormalize is libphonenumber's answer for a cleaned number.
func slowNormalize(clean, region string) (string, bool) {
	n, err := phonenumbers.Parse(clean, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// TestNANPShape checks the rule for North American numbers: NormalizePhone
// accepts a "+1" number, unchanged, when it has NANP's shape or
// libphonenumber calls it valid; so it accepts every one libphonenumber
// accepts, as the same string, and also those whose area code its tables
// do not know yet.
func TestNANPShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2026))
	numbers := []string{"+13125550142", "+13125550100", "+13125550199", "+12025550123", "+14165550123", "+18005550199",
		"+19995550100", "+12345678901", "+11235550100", "+10235550100", "+1312555014", "+131255501420",
		"+13121550142", "+12745550142", "+19835550142", "+12735550142"}
	for range 1500 {
		numbers = append(numbers, fmt.Sprintf("+1%d%09d", 2+rng.IntN(8), rng.IntN(1_000_000_000)))
	}
	for range 500 {
		numbers = append(numbers, fmt.Sprintf("+1%010d", rng.IntN(10_000_000_000)))
	}
	known, unknown := 0, 0
	for _, n := range numbers {
		for _, region := range []string{"US", "CA", "MX", ""} {
			got, err := NormalizePhone(n, region)
			want, ok := slowNormalize(n, region)
			if accept := nanpForm(n) || ok; accept != (err == nil) || (err == nil && got != n) {
				t.Errorf("NormalizePhone(%s, %q) = %q, %v; NANP shape %v, libphonenumber %q %v", n, region, got, err, nanpForm(n), want, ok)
			}
			switch {
			case ok && got != want:
				t.Errorf("NormalizePhone(%s, %q) = %q, %v; libphonenumber %q", n, region, got, err, want)
			case ok:
				known++
			case err == nil:
				unknown++
			}
		}
	}
	if known < 1500 || unknown == 0 {
		t.Errorf("%d numbers libphonenumber knows, %d it does not: the sample misses a side", known, unknown)
	}
	t.Logf("%d accepted numbers libphonenumber knows, %d it does not (yet)", known, unknown)
}

// TestNormalizeSender: the SMS path's name for NormalizePhone gives the
// same answer for every input.
func TestNormalizeSender(t *testing.T) {
	for _, tt := range phoneRuleTests {
		want, wantErr := NormalizePhone(tt.in, tt.region)
		got, err := NormalizeSender(tt.in, tt.region)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("%s: NormalizeSender %q, %v; NormalizePhone %q, %v", tt.name, got, err, want, wantErr)
		}
	}
}
