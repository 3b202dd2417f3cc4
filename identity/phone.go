package identity

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrNotPhone means the text is not a valid phone number. Errors that wrap it
// say why in general terms but never repeat the text: it may be a number.
var ErrNotPhone = errors.New("not a phone number")

// maxPhoneInput bounds the text NormalizePhone looks at. The longest E.164
// number has 15 digits; generous room is left for separators.
const maxPhoneInput = 64

// NormalizePhone returns the E.164 form ("+13125550142") of a phone number
// written in any common spelling: with or without the country code, with
// spaces, dots, dashes, slashes or parentheses, in fullwidth or other
// Unicode decimal digits (Arabic-Indic, Devanagari, ...). region is the
// CLDR region ("US") assumed when the number has no leading '+'; it may be
// empty, and then only international spellings are accepted.
//
// Letters are refused, including vanity numbers ("1-800-FLOWERS") and
// extensions ("ext 5"): neither can receive a text message, and guessing
// would risk hashing the wrong person. The number must also be valid by
// libphonenumber's metadata for its country, not just of plausible length.
// The fictional NANP range 555-0100..555-0199 is valid in that metadata
// (tests pin this), so the test numbers used throughout cita pass.
//
// Any rejection wraps ErrNotPhone; an unknown region is a configuration
// error and does not.
func NormalizePhone(s, region string) (string, error) {
	region = strings.ToUpper(region)
	if region != "" && !phonenumbers.GetSupportedRegions()[region] {
		return "", errors.New("identity: unknown phone region " + strconv.Quote(region))
	}
	if len(s) > maxPhoneInput {
		return "", notPhone("too long")
	}
	clean, err := cleanPhone(s)
	if err != nil {
		return "", err
	}
	if nanpValid(clean) {
		return clean, nil
	}
	n, err := phonenumbers.Parse(clean, region)
	if err != nil {
		// A fixed reason: the library's message is not ours to vouch
		// for, and must never carry the text into a log.
		return "", notPhone("not a number in the given region")
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", notPhone("not a valid number")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// nanpValid reports whether clean is a valid North American number already
// in E.164 form (see nanpForm), the form people type after "+1". For it
// Parse would return exactly this number (country code 1; no national
// prefix to strip, as the number does not start with 1; no leading zero),
// and Parse costs ~25 µs, mostly a regular expression looking for an
// extension ("ext 5") that digits alone cannot hold; so the validity check
// runs on it directly. Anything else, or an invalid number, takes the full
// path. TestNANPFastPath compares the two.
func nanpValid(clean string) bool {
	if !nanpForm(clean) {
		return false
	}
	nn, _ := strconv.ParseUint(clean[2:], 10, 64) // ten digits: cannot fail
	cc := int32(1)
	return phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn})
}

// NormalizeSender is NormalizePhone for the sender of a message a carrier
// network delivered (the From of a Twilio webhook). A North American
// sender already in E.164 form ("+1", then NANP's ten digits: area code
// and exchange each starting 2-9) is taken as it is: the network has
// shown that it is a number, and libphonenumber's validity test, which
// only adds whether the area code was assigned when its tables were made,
// was ~25 µs, 13% of an SMS webhook's CPU under load. For every such
// number NormalizePhone accepts it gives the same string
// (TestNormalizeSender), so the resident's identity is the same whichever
// way the number arrives. Anything else takes NormalizePhone.
func NormalizeSender(s, region string) (string, error) {
	if nanpForm(s) {
		return s, nil
	}
	return NormalizePhone(s, region)
}

// nanpForm reports whether s is "+1" and ten digits whose area code and
// exchange start with 2-9.
func nanpForm(s string) bool {
	if len(s) != 12 || s[0] != '+' || s[1] != '1' || s[2] < '2' || s[5] < '2' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// TelegramAddress is the address of a Telegram user who has not shared a
// phone number. Telegram user ids are stable and never reused.
func TelegramAddress(userID int64) string {
	return "telegram:" + strconv.FormatInt(userID, 10)
}

func notPhone(why string) error {
	return &phoneError{why}
}

// phoneError carries a reason without the offending text.
type phoneError struct{ why string }

func (e *phoneError) Error() string { return ErrNotPhone.Error() + ": " + e.why }
func (e *phoneError) Unwrap() error { return ErrNotPhone }

// cleanPhone reduces s to an optional leading '+' and ASCII digits. Every
// Unicode decimal digit becomes its ASCII value, so the library sees one
// spelling; separators are dropped; anything else (letters, '#', '*', ';')
// rejects the whole text rather than being silently skipped.
func cleanPhone(s string) (string, error) {
	var b strings.Builder
	digits := 0
	for _, r := range s {
		switch {
		case r == '+' || r == '＋':
			if b.Len() > 0 {
				return "", notPhone("'+' inside the number")
			}
			b.WriteByte('+')
		case unicode.IsDigit(r):
			d, ok := digitValue(r)
			if !ok {
				return "", notPhone("unknown digit")
			}
			b.WriteByte(byte('0' + d))
			digits++
		case isPhoneSeparator(r):
			// dropped
		default:
			return "", notPhone("unexpected character")
		}
	}
	if digits == 0 {
		return "", notPhone("no digits")
	}
	return b.String(), nil
}

// isPhoneSeparator reports whether r is punctuation people put between the
// groups of a phone number: white space of any kind, dashes of any kind,
// dots, slashes, parentheses and brackets (ASCII or fullwidth).
func isPhoneSeparator(r rune) bool {
	if unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Pd, r) {
		return true
	}
	switch r {
	case '.', '/', '(', ')', '[', ']', '~', '\u2212', // minus sign
		'．', '／', '（', '）', '［', '］', '～', '\u30FC', // fullwidth forms, katakana long mark
		'\u00AD', '\u200B', '\u2060', '\uFEFF': // soft hyphen, zero-width space/joiners
		return true
	}
	return false
}

// digitValue returns the value of a Unicode decimal digit (category Nd).
// Unicode encodes every decimal digit set as ten consecutive code points
// from zero to nine, and the Nd ranges in package unicode are maximal runs
// of such sets, so the value is the offset from the range start modulo 10.
func digitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	for _, rg := range unicode.Nd.R16 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi && rg.Stride == 1 {
			return int(r-lo) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi && rg.Stride == 1 {
			return int(r-lo) % 10, true
		}
	}
	return 0, false
}
