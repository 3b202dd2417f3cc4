package locales

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cita-city/cita/scheduling"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLanguages(t *testing.T) {
	c := mustLoad(t)
	got := c.Languages()
	if len(got) < 2 || got[0] != Reference {
		t.Fatalf("Languages() = %v, want %s first and at least 2", got, Reference)
	}
	for _, want := range []string{"en", "es", "pl", "zh", "ar", "fr", "tl", "uk", "ko", "ru", "ur", "hi", "gu", "vi"} {
		if !slices.Contains(got, want) {
			t.Errorf("Languages() = %v, missing %s", got, want)
		}
	}
	names := map[string]string{}
	for _, lang := range got {
		name, err := c.Text(lang, "language.name", nil)
		if err != nil || name == "" {
			t.Errorf("%s: language.name = %q, %v", lang, name, err)
		}
		if other, dup := names[name]; dup {
			t.Errorf("%s and %s are both called %q", lang, other, name)
		}
		names[name] = lang
	}
}

// TestComplete is the translators' test: every language has every message
// English has, every plural form it needs and the same variables, and every
// message renders without go-i18n falling back to English.
func TestComplete(t *testing.T) {
	c := mustLoad(t)
	if err := c.Check(nil); err != nil {
		t.Fatalf("Check:\n%v", err)
	}
	for _, lang := range c.Languages() {
		for id, ref := range c.messages[Reference] {
			vars, err := variables(ref)
			if err != nil {
				t.Fatalf("en %s: %v", id, err)
			}
			data := map[string]any{}
			for _, v := range vars {
				data[v] = "x"
			}
			if strings.HasPrefix(id, formatPrefix) {
				data = c.clockData(lang, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			}
			if !isPlural(ref) {
				s, err := c.Text(lang, id, data)
				if err != nil {
					t.Errorf("%s %s: %v", lang, id, err)
				} else if strings.TrimSpace(s) == "" && !strings.HasPrefix(id, "words.") {
					t.Errorf("%s %s is empty", lang, id)
				}
				continue
			}
			for _, n := range pluralSamples {
				if _, err := c.Count(lang, id, n, data); err != nil {
					t.Errorf("%s %s (%d): %v", lang, id, n, err)
				}
			}
		}
	}
}

func TestCheckReportsProblems(t *testing.T) {
	fsys := fstest.MapFS{
		"active.en.toml": {Data: []byte(`
"a" = "A {{.X}}"
"b" = "B"
["p"]
one = "{{.Count}} thing"
other = "{{.Count}} things"
`)},
		// Spanish needs "many"; "a" uses the wrong variable; "b" is missing;
		// "extra" is not in English.
		"active.es.toml": {Data: []byte(`
"a" = "A {{.Y}}"
"extra" = "E"
["p"]
one = "{{.Count}} cosa"
other = "{{.Count}} cosas"
`)},
	}
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check([]string{"program.q"})
	if err == nil {
		t.Fatal("Check found nothing")
	}
	for _, want := range []string{
		"en: missing messages: program.q",
		"es: missing messages: b, program.q",
		"es: message a uses variables [Y], English uses [X]",
		"es: message p: plural form for 1000000",
		"es: message extra is not in English",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
}

func TestTextErrors(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name, lang, id string
		data           map[string]any
	}{
		{"unknown id", "es", "no.such.message", nil},
		{"unknown language", "xx", "language.name", nil},
		{"missing variable", "en", "book.done", nil}, // needs Code
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := c.Text(tt.lang, tt.id, tt.data); err == nil {
				t.Errorf("Text(%s, %s) = %q, want an error", tt.lang, tt.id, s)
			}
		})
	}
	if s, err := c.Count("es", "book.time", 1000000, map[string]any{"Date": "x"}); err != nil || !strings.Contains(s, "de horas") {
		t.Errorf("Count(es, 1000000) = %q, %v; want the many form", s, err)
	}
}

func TestDateTime(t *testing.T) {
	c := mustLoad(t)
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2026, 12, 1, 9, 5, 0, 0, chicago)
	afternoon := time.Date(2026, 12, 2, 14, 30, 0, 0, chicago)
	midnight := time.Date(2026, 12, 5, 0, 0, 0, 0, chicago)
	noon := time.Date(2026, 12, 5, 12, 0, 0, 0, chicago)
	tests := []struct {
		lang             string
		t                time.Time
		date, short, clk string
	}{
		{"en", morning, "Tuesday, December 1", "Tue Dec 1", "9:05 AM"},
		{"en", afternoon, "Wednesday, December 2", "Wed Dec 2", "2:30 PM"},
		{"en", midnight, "Saturday, December 5", "Sat Dec 5", "12:00 AM"},
		{"en", noon, "Saturday, December 5", "Sat Dec 5", "12:00 PM"},
		{"es", morning, "martes 1 de diciembre", "mar 1 dic", "9:05"},
		{"es", afternoon, "miércoles 2 de diciembre", "mié 2 dic", "14:30"},
		{"es", midnight, "sábado 5 de diciembre", "sáb 5 dic", "0:00"},
		{"zh", morning, "12月1日 星期二", "12月1日 周二", "9:05"},
		{"zh", afternoon, "12月2日 星期三", "12月2日 周三", "14:30"},
		{"ar", morning, "الثلاثاء 1 ديسمبر", "ثلاثاء 1 ديسمبر", "9:05"},
		{"ar", afternoon, "الأربعاء 2 ديسمبر", "أربعاء 2 ديسمبر", "14:30"},
		{"tl", morning, "Martes, Disyembre 1", "Mar Dis 1", "9:05 AM"},
		{"tl", afternoon, "Miyerkules, Disyembre 2", "Miy Dis 2", "2:30 PM"},
		{"tl", midnight, "Sabado, Disyembre 5", "Sab Dis 5", "12:00 AM"},
		{"ko", morning, "12월 1일 화요일", "12월 1일 (화)", "오전 9:05"},
		{"ko", afternoon, "12월 2일 수요일", "12월 2일 (수)", "오후 2:30"},
		{"ko", midnight, "12월 5일 토요일", "12월 5일 (토)", "오전 12:00"},
		{"ru", morning, "вторник, 1 декабря", "вт 1 дек.", "9:05"},
		{"ru", afternoon, "среда, 2 декабря", "ср 2 дек.", "14:30"},
		{"ur", morning, "منگل، 1 دسمبر", "منگل، 1 دسمبر", "9:05 AM"},
		{"ur", afternoon, "بدھ، 2 دسمبر", "بدھ، 2 دسمبر", "2:30 PM"},
		{"hi", morning, "मंगलवार, 1 दिसंबर", "मंगल, 1 दिस॰", "9:05 AM"},
		{"hi", noon, "शनिवार, 5 दिसंबर", "शनि, 5 दिस॰", "12:00 PM"},
		{"gu", morning, "મંગળવાર, 1 ડિસેમ્બર", "મંગળ, 1 ડિસે", "9:05 AM"},
		{"gu", afternoon, "બુધવાર, 2 ડિસેમ્બર", "બુધ, 2 ડિસે", "2:30 PM"},
		{"vi", morning, "Thứ Ba, 1 tháng 12", "T3 1/12", "9:05"},
		{"vi", afternoon, "Thứ Tư, 2 tháng 12", "T4 2/12", "14:30"},
		{"vi", midnight, "Thứ Bảy, 5 tháng 12", "T7 5/12", "0:00"},
	}
	for _, tt := range tests {
		if got := c.Date(tt.lang, tt.t); got != tt.date {
			t.Errorf("Date(%s, %v) = %q, want %q", tt.lang, tt.t, got, tt.date)
		}
		if got := c.ShortDate(tt.lang, tt.t); got != tt.short {
			t.Errorf("ShortDate(%s, %v) = %q, want %q", tt.lang, tt.t, got, tt.short)
		}
		if got := c.Time(tt.lang, tt.t); got != tt.clk {
			t.Errorf("Time(%s, %v) = %q, want %q", tt.lang, tt.t, got, tt.clk)
		}
	}
}

// TestDemoProgram checks the messages the demo program names, as bot check
// does for any program file.
func TestDemoProgram(t *testing.T) {
	p := scheduling.Demo()
	var ids []string
	for _, q := range p.Eligibility {
		ids = append(ids, q.ID, q.No)
	}
	for _, d := range p.Documents {
		ids = append(ids, d.ID, d.Examples)
	}
	for _, c := range p.Closures {
		if c.Reason != "" {
			ids = append(ids, c.Reason)
		}
	}
	c := mustLoad(t)
	if err := c.Check(ids); err != nil {
		t.Errorf("Check(demo program ids):\n%v", err)
	}
	for _, lang := range p.Languages {
		if !c.Has(lang) {
			t.Errorf("demo program offers %s, which has no message file", lang)
		}
	}
}

// TestPluralForms picks each CLDR form where a language has one: Arabic's
// six, Tagalog's one/other (4, 6, 9 are "other"), Chinese's and Korean's
// single form, Russian's one/few/many, Urdu's and Hindi's two.
func TestPluralForms(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"ar", 0, "لا مواعيد متاحة."},
		{"ar", 1, "موعد واحد متاح"},
		{"ar", 2, "موعدان متاحان"},
		{"ar", 3, "3 مواعيد متاحة"},
		{"ar", 10, "10 مواعيد متاحة"},
		{"ar", 11, "11 موعدا متاحا"},
		{"ar", 99, "99 موعدا متاحا"},
		{"ar", 100, "100 موعد متاح"},
		{"ar", 102, "102 موعد متاح"},
		{"ar", 103, "103 مواعيد متاحة"},
		{"tl", 1, "1 bakanteng oras"},
		{"tl", 4, "4 bakanteng oras"},
		{"tl", 11, "11 bakanteng oras"},
		{"zh", 1, "有1个空位"},
		{"zh", 21, "有21个空位"},
		// Russian: one (1, 21, 101), few (2-4, 22), many (0, 5-20, 25, 111).
		{"ru", 1, "1 свободная запись"},
		{"ru", 21, "21 свободная запись"},
		{"ru", 101, "101 свободная запись"},
		{"ru", 2, "2 свободные записи"},
		{"ru", 22, "22 свободные записи"},
		{"ru", 0, "0 свободных записей"},
		{"ru", 5, "5 свободных записей"},
		{"ru", 11, "11 свободных записей"},
		{"ru", 111, "111 свободных записей"},
		// Urdu: one is 1 only; Hindi, Gujarati and Vietnamese (go-i18n's
		// CLDR): one is 0 and 1.
		{"ur", 1, "1 خالی وقت۔"},
		{"ur", 0, "0 خالی اوقات"},
		{"ur", 2, "2 خالی اوقات"},
		{"hi", 0, "0 खाली समय"},
		{"hi", 30, "30 खाली समय"},
		{"gu", 1, "1 ખાલી સમય"},
		{"vi", 0, "còn 0 giờ trống"},
		{"vi", 1000000, "còn 1000000 giờ trống"},
		{"ko", 1, "빈 시간 1개"},
		{"ko", 25, "빈 시간 25개"},
	}
	for _, tt := range tests {
		got, err := c.Count(tt.lang, "book.time", tt.n, map[string]any{"Date": "D"})
		if err != nil || !strings.Contains(got, tt.want) {
			t.Errorf("Count(%s, book.time, %d) = %q, %v; want it to contain %q", tt.lang, tt.n, got, err, tt.want)
		}
	}
}

// TestReview: every file states its review status, and Drafts lists those
// that are neither the reference nor reviewed (with a date).
func TestReview(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range c.Languages() {
		r := c.Review(lang)
		ok := r == "draft" || r == "reference" && lang == Reference
		if d, found := strings.CutPrefix(r, "reviewed "); found {
			_, err := time.Parse(time.DateOnly, d)
			ok = err == nil
		}
		if !ok {
			t.Errorf("%s: language.review = %q, want draft or reviewed YYYY-MM-DD", lang, r)
		}
	}
	for _, lang := range c.Languages() {
		if want := c.Review(lang) == "draft"; slices.Contains(c.Drafts(), lang) != want {
			t.Errorf("Drafts() = %v: %s (%s) listed %v", c.Drafts(), lang, c.Review(lang), !want)
		}
	}

	fsys := fstest.MapFS{
		"active.en.toml": {Data: []byte(`"language.review" = "reference"`)},
		"active.es.toml": {Data: []byte(`"language.review" = "reviewed 2026-12-01"`)},
		"active.fr.toml": {Data: []byte(`"language.review" = "draft"`)},
	}
	small, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if d := small.Drafts(); !slices.Equal(d, []string{"fr"}) {
		t.Errorf("Drafts() = %v, want [fr]", d)
	}
}
