package identity

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrNotPhone means the text is not a valid phone number. Errors that wrap it
// say why in general terms but never repeat the text: it may be a number.
var ErrNotPhone = errors.New("not a phone number")

// maxPhoneInput bounds the text NormalizePhone looks at. The longest E.164
// number has 15 digits; generous room is left for separators, a "tel:"
// scheme and an extension.
const maxPhoneInput = 64

// NormalizePhone returns the E.164 form ("+13125550142") of a phone number
// written in any common spelling. It is the one normalization of cita:
// SMS and WhatsApp senders, voice callers, Telegram shared contacts, the
// clerk desk, bot chat --as and the local channel all call it, so a number accepted on one path is
// accepted on all and names the same resident. region is the CLDR region
// ("US") assumed when the number has no leading '+'; it may be empty, and
// then only international spellings are accepted.
//
// The rules (TestPhoneRules is the table):
//   - Separators are dropped: spaces of any kind, dashes, dots, slashes,
//     parentheses, brackets, ASCII or fullwidth. Every Unicode decimal
//     digit counts as its value (fullwidth, Arabic-Indic, Devanagari, ...).
//   - A "tel:" scheme (RFC 3966) and a doubled leading '+' are accepted.
//   - An extension at the end ("x7", "ext 7", "ext. 7", "extension 7",
//     ";ext=7") is dropped: a text reaches the number, not the extension.
//   - A North American number (country code 1) is accepted when it has
//     NANP's shape, NXX-NXX-XXXX with N from 2 to 9, whether or not
//     libphonenumber's tables know its area code yet: new area codes (274,
//     983, 273) come into service before the tables catch up, and a carrier
//     delivers texts from them.
//   - Any other number must be valid by libphonenumber's metadata (a few
//     +1 numbers are valid there without NANP's shape, such as Dominican
//     ones whose exchange starts with 0; they are accepted too).
//   - Anything else is refused: other letters (vanity numbers such as
//     "1-800-FLOWERS"), '#', '*', a '+' inside the number. Guessing would
//     risk hashing the wrong person.
//
// Any rejection wraps ErrNotPhone and never repeats the text; an unknown
// region is a configuration error and does not wrap it.
func NormalizePhone(s, region string) (string, error) {
	region = strings.ToUpper(region)
	if region != "" && !phonenumbers.GetSupportedRegions()[region] {
		return "", errors.New("identity: unknown phone region " + strconv.Quote(region))
	}
	// What a carrier delivers (a Twilio From) is already in this form:
	// nothing to clean, and libphonenumber's Parse, ~25 µs, mostly a
	// regular expression looking for an extension, would be 13% of an SMS
	// webhook's CPU under load (docs/BENCHMARKS.md).
	if nanpForm(s) {
		return s, nil
	}
	if len(s) > maxPhoneInput {
		return "", notPhone("too long")
	}
	clean, err := cleanPhone(dropExtension(dropScheme(s)))
	if err != nil {
		return "", err
	}
	if e164, ok := nanpNumber(clean, region); ok {
		return e164, nil
	}
	n, err := phonenumbers.Parse(clean, region)
	if err != nil {
		// A fixed reason: the library's message is not ours to vouch
		// for, and must never carry the text into a log.
		return "", notPhone("not a number in the given region")
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	// A North American number written another way (an international
	// prefix such as 011) is taken for its shape, as above.
	if n.GetCountryCode() == 1 && nanpForm(e164) {
		return e164, nil
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", notPhone("not a valid number")
	}
	return e164, nil
}

// NormalizeSender is NormalizePhone, under the name the SMS wiring first
// used for a carrier's From. It is the same function, so a resident is the
// same whichever path their number comes by.
func NormalizeSender(s, region string) (string, error) { return NormalizePhone(s, region) }

// nanpNumber returns clean as a North American E.164 number if it has
// NANP's shape: "+1" and ten digits, or, in a region of country code 1,
// ten digits or "1" and ten digits.
func nanpNumber(clean, region string) (string, bool) {
	if nanpForm(clean) {
		return clean, true
	}
	if clean == "" || clean[0] == '+' || region == "" || phonenumbers.GetCountryCodeForRegion(region) != 1 {
		return "", false
	}
	if len(clean) == 11 && clean[0] == '1' {
		clean = clean[1:]
	}
	if e164 := "+1" + clean; nanpForm(e164) {
		return e164, true
	}
	return "", false
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

// dropScheme removes a leading "tel:" (any case), as in a link copied
// from a web page or a contact card.
func dropScheme(s string) string {
	t := strings.TrimSpace(s)
	if len(t) >= 4 && strings.EqualFold(t[:4], "tel:") {
		return t[4:]
	}
	return s
}

// extension is what may follow a number as its extension: a marker, then
// one to ten ASCII digits, to the end.
var extension = regexp.MustCompile(`(?i)^(?:;\s*ext\s*=|ext(?:ension)?\.?|x)\s*[0-9]{1,10}\s*$`)

// dropExtension removes an extension at the end of s. Only the text from
// the first letter or ';' is looked at: if it is not an extension, s is
// returned whole, and cleanPhone refuses the letter.
func dropExtension(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool {
		return r == ';' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	})
	if i < 0 || !extension.MatchString(s[i:]) {
		return s
	}
	return strings.TrimRight(s[:i], " \t,")
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
			if b.String() == "+" {
				continue // "++1 ...": a slip of the finger
			}
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
