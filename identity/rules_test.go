package identity

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// phoneRuleTests is the rule book of NormalizePhone, which every path that
// takes a number calls (TestOnePhoneNormalization): SMS senders, Telegram
// shared contacts (the channel adds the '+' Telegram leaves off), the clerk
// desk, bot chat --as and the local channel. want "" means refused with
// ErrNotPhone. The README's "Phone numbers" paragraph says the same in
// words.
var phoneRuleTests = []struct {
	name, in, region, want string
}{
	// NANP: the shape decides, not libphonenumber's tables, which lag
	// behind new area codes (nyaruka/phonenumbers v1.8.1 refuses these).
	{"new area code 274, E.164", "+12745550142", "US", "+12745550142"},
	{"new area code 983, national", "(983) 555-0142", "US", "+19835550142"},
	{"new area code 273, trunk 1", "1 273 555 0142", "US", "+12735550142"},
	{"new area code, no region", "+1 274 555 0142", "", "+12745550142"},
	{"new area code via 011", "011 1 983 555 0142", "US", "+19835550142"},
	{"new area code from Canada", "274.555.0142", "CA", "+12745550142"},
	{"known area code", "312-555-0142", "US", "+13125550142"},
	{"area code starts with 1", "(112) 555-0142", "US", ""},
	{"area code starts with 0", "+1 012 555 0142", "US", ""},
	{"exchange starts with 1", "(312) 155-0142", "US", ""},
	{"eleven digits after +1", "+1 312 555 01423", "US", ""},
	{"nine digits", "312555014", "US", ""},
	// Ten digits are national only where the region is North American.
	{"ten digits in GB", "2745550142", "GB", ""},
	{"ten digits, no region", "3125550142", "", ""},

	// tel: URIs (RFC 3966) and a doubled '+'.
	{"tel URI", "tel:+1-312-555-0142", "US", "+13125550142"},
	{"tel URI upper case", "TEL:+13125550142", "US", "+13125550142"},
	{"tel URI, spaces around", "  tel:+1 (312) 555-0142 ", "US", "+13125550142"},
	{"tel URI with extension", "tel:+1-312-555-0142;ext=7", "US", "+13125550142"},
	{"tel URI other parameter", "tel:+13125550142;phone-context=example.com", "US", ""},
	{"doubled plus", "++1 312 555 0142", "US", "+13125550142"},
	{"doubled plus, E.164", "++13125550142", "", "+13125550142"},
	{"plus inside", "312+5550142", "US", ""},
	{"plus after the country code", "+1+3125550142", "US", ""},

	// Extensions are dropped: a text reaches the line, not the extension.
	{"x", "312-555-0142 x7", "US", "+13125550142"},
	{"x, no space", "3125550142x12", "US", "+13125550142"},
	{"X", "312-555-0142 X7", "US", "+13125550142"},
	{"ext", "312 555 0142 ext 5", "US", "+13125550142"},
	{"ext.", "312-555-0142 ext. 7", "US", "+13125550142"},
	{"comma ext.", "(312) 555-0142, ext. 7", "US", "+13125550142"},
	{"extension", "312 555 0142 extension 7", "US", "+13125550142"},
	{";ext=", "+13125550142;ext=7", "US", "+13125550142"},
	{"extension of a UK number", "+44 20 7946 0958 x7", "US", "+442079460958"},
	{"extension without digits", "312 555 0142 ext", "US", ""},
	{"extension, then words", "312 555 0142 x7 please", "US", ""},
	{"extension alone", "ext 7", "US", ""},

	// Other letters and signs are refused.
	{"vanity number", "1-800-FLOWERS", "US", ""},
	{"words", "call me", "US", ""},
	{"hash", "312 555 0142#", "US", ""},
	{"star", "*3125550142", "US", ""},
	{"telegram address", "telegram:12345", "US", ""},

	// Outside NANP, libphonenumber's metadata decides.
	{"UK", "+44 20 7946 0958", "US", "+442079460958"},
	{"UK national", "020 7946 0958", "GB", "+442079460958"},
	{"UK too short", "+44 20 7946 095", "US", ""},
	{"Mexico", "+52 55 1234 5678", "", "+525512345678"},
	{"unknown country code", "+999 1234 5678", "US", ""},
}

func TestPhoneRules(t *testing.T) {
	for _, tt := range phoneRuleTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, tt.region)
			if tt.want == "" {
				if !errors.Is(err, ErrNotPhone) {
					t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want ErrNotPhone", tt.in, tt.region, got, err)
				}
				if digits := strings.Map(keepDigit, tt.in); len(digits) >= 3 && strings.Contains(err.Error(), digits) {
					t.Errorf("error %q repeats the input", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
			}
			// Accepted once, the E.164 form is accepted again as itself
			// (the form a carrier delivers on SMS).
			if again, err := NormalizePhone(got, tt.region); again != got || err != nil {
				t.Errorf("NormalizePhone(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

// normalizingPaths are the files where a number enters cita, each of
// which must reach NormalizePhone: if a path is added, add it here.
var normalizingPaths = []string{
	"clerk/day.go",        // the clerk desk: check-in and walk-in by phone
	"cmd/bot/chat.go",     // bot chat --as, and the local channel it drives
	"cmd/bot/serve.go",    // the local channel of bot serve
	"cmd/bot/sms.go",      // SMS and WhatsApp senders (twilioConfig)
	"cmd/bot/telegram.go", // Telegram shared contacts
	"cmd/bot/voice.go",    // callers on the voice line
}

// TestOnePhoneNormalization checks, on the source of the whole module,
// that every path uses the same function: no package but identity
// imports libphonenumber, every reference to an identity.Normalize*
// function names NormalizePhone (or NormalizeSender, the same function),
// and each file of normalizingPaths makes one.
func TestOnePhoneNormalization(t *testing.T) {
	root := ".."
	uses := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n != ".." && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/nyaruka/phonenumbers") && !strings.HasPrefix(rel, "identity/") {
				t.Errorf("%s imports %s: numbers are normalized only by identity.NormalizePhone", rel, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "identity" && strings.HasPrefix(sel.Sel.Name, "Normalize") {
				switch sel.Sel.Name {
				case "NormalizePhone", "NormalizeSender":
					uses[rel]++
				default:
					t.Errorf("%s uses identity.%s: every path uses NormalizePhone", rel, sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range normalizingPaths {
		if uses[p] == 0 {
			t.Errorf("%s does not call identity.NormalizePhone", p)
		}
	}
}
