package identity

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// slowNormalize is NormalizePhone's full path for a cleaned number.
func slowNormalize(clean, region string) (string, bool) {
	n, err := phonenumbers.Parse(clean, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// TestNANPFastPath checks that the shortcut for "+1" numbers accepts
// exactly the numbers the full path accepts, as the same E.164 string.
func TestNANPFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2026))
	numbers := []string{"+13125550142", "+13125550100", "+13125550199", "+12025550123", "+14165550123", "+18005550199",
		"+19995550100", "+12345678901", "+11235550100", "+10235550100", "+1312555014"}
	for range 5000 {
		numbers = append(numbers, fmt.Sprintf("+1%d%09d", 2+rng.IntN(8), rng.IntN(1_000_000_000)))
	}
	for range 1000 {
		numbers = append(numbers, fmt.Sprintf("+1%010d", rng.IntN(10_000_000_000)))
	}
	for _, clean := range numbers {
		for _, region := range []string{"US", "CA", "MX", ""} {
			want, wantOK := slowNormalize(clean, region)
			if nanpValid(clean) && (!wantOK || want != clean) {
				t.Errorf("%s in %q: shortcut says valid, full path %q %v", clean, region, want, wantOK)
			}
			got, err := NormalizePhone(clean, region)
			if (err == nil) != wantOK || got != want {
				t.Errorf("NormalizePhone(%s, %q) = %q, %v; full path %q %v", clean, region, got, err, want, wantOK)
			}
		}
	}
}

// TestNormalizeSender checks the carrier shortcut: wherever the full path
// accepts a number the shortcut takes, both give the same string, and the
// shortcut takes only NANP's E.164 form.
func TestNormalizeSender(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 2026))
	numbers := []string{"+13125550142", "+13125550100", "+13125550199", "+12025550123", "+14165550123", "+18005550199",
		"+19995550100", "+12345678901", "+11235550100", "+10235550100", "+1312555014", "+131255501420",
		"+13121550142", "+1312555014x", "13125550142", "+442071838750", "(312) 555-0142", ""}
	for range 20000 {
		numbers = append(numbers, fmt.Sprintf("+1%010d", rng.IntN(10_000_000_000)))
	}
	taken, refused := 0, 0
	for _, n := range numbers {
		want, wantErr := NormalizePhone(n, "US")
		got, err := NormalizeSender(n, "US")
		switch {
		case !nanpForm(n):
			if got != want || (err == nil) != (wantErr == nil) {
				t.Errorf("%q: NormalizeSender %q, %v; NormalizePhone %q, %v", n, got, err, want, wantErr)
			}
		case got != n || err != nil:
			t.Errorf("%q in NANP form: NormalizeSender %q, %v", n, got, err)
		case wantErr == nil && want != n:
			t.Errorf("%q: NormalizePhone gives %q", n, want)
		case wantErr != nil:
			refused++ // an area code libphonenumber does not know
		default:
			taken++
		}
	}
	if taken < 5000 {
		t.Errorf("only %d numbers took the shortcut and were valid", taken)
	}
	t.Logf("%d numbers in NANP form valid for libphonenumber too, %d it refuses", taken, refused)
}
