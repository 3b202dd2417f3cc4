package whatsapp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/cita-city/cita/channels/twilio"
)

const (
	hxEN = "HX0123456789abcdef0123456789abcdef"
	hxES = "HXfedcba9876543210fedcba9876543210"
)

func TestParseTemplates(t *testing.T) {
	langs := []string{"en", "es", "zh-Hant"}
	for _, tc := range []struct {
		name, in string
		want     map[string]string
		bad      bool
	}{
		{"none", "", map[string]string{}, false},
		{"two", "en:" + hxEN + ",es:" + hxES, map[string]string{"en": hxEN, "es": hxES}, false},
		{"spaces and a trailing comma", " en : " + hxEN + " , ", map[string]string{"en": hxEN}, false},
		{"a tag with a region", "zh-Hant:" + hxEN, map[string]string{"zh-Hant": hxEN}, false},
		{"no colon", "en" + hxEN, nil, true},
		{"not a ContentSid", "en:MG0123456789abcdef0123456789abcdef", nil, true},
		{"short SID", "en:HX0123", nil, true},
		{"language not in the program", "fr:" + hxEN, nil, true},
		{"twice", "en:" + hxEN + ",en:" + hxES, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTemplates(tc.in, langs)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if diff := cmp.Diff(tc.want, got); !tc.bad && diff != "" {
				t.Errorf("templates (-want +got):\n%s", diff)
			}
			if err != nil && strings.Contains(err.Error(), "MG0123") {
				t.Error("the error repeats the input")
			}
		})
	}
}

func TestParseSender(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"whatsapp:+13125550160", true},
		{"+13125550160", false},
		{"whatsapp:13125550160", false},
		{"whatsapp:+1 312 555 0160", false},
		{"WhatsApp:+13125550160", false},
		{"", false},
	} {
		_, err := ParseSender(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSender(%q): err = %v, want ok %v", tc.in, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "0160") && tc.in != "" {
			t.Errorf("ParseSender(%q): error repeats the input", tc.in)
		}
	}
}

func TestKind(t *testing.T) {
	k := Kind(nil)
	if k.Path != Path || k.Prefix != "whatsapp:" || k.Templates == nil || len(k.Templates) != 0 {
		t.Errorf("Kind(nil) = %+v: want the WhatsApp path and prefix, templated with none", k)
	}
}

// TestRepliesFitOneMessage holds every reply of the engine's transcripts
// (conversations/testdata: the booking in all 14 languages, every other
// conversation in English and Spanish) to one WhatsApp message: at most
// twilio.MaxLen characters. A longer one would still go out, split, but
// a menu cut in two is hard to read.
func TestRepliesFitOneMessage(t *testing.T) {
	files, err := filepath.Glob("../../conversations/testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("transcripts: %v (%d found)", err, len(files))
	}
	langs := map[string]bool{}
	replies, longest := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(filepath.Base(f), ".")
		langs[parts[len(parts)-2]] = true
		var reply []string
		flush := func() {
			s := strings.TrimSpace(strings.Join(reply, "\n"))
			reply = nil
			if s == "" {
				return
			}
			replies++
			n := len(utf16.Encode([]rune(s)))
			longest = max(longest, n)
			if n > twilio.MaxLen {
				t.Errorf("%s: a reply of %d characters:\n%s", filepath.Base(f), n, s)
			}
		}
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case strings.HasPrefix(line, "#"):
			case strings.HasPrefix(line, "> "):
				flush()
			default:
				reply = append(reply, line)
			}
		}
		flush()
	}
	if len(langs) < 14 || replies < 100 {
		t.Fatalf("read %d replies in %d languages: the transcripts moved?", replies, len(langs))
	}
	t.Logf("%d replies in %d languages, the longest %d characters (limit %d)", replies, len(langs), longest, twilio.MaxLen)
}
