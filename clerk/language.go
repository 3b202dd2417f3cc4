package clerk

// languageNames names, in English for the clerk pages, the languages
// residents choose: a bare code reads wrong ("uk" looks like UK English,
// not Ukrainian).
var languageNames = map[string]string{
	"ar": "Arabic",
	"en": "English",
	"es": "Spanish",
	"fr": "French",
	"gu": "Gujarati",
	"hi": "Hindi",
	"ko": "Korean",
	"pl": "Polish",
	"ru": "Russian",
	"tl": "Tagalog",
	"uk": "Ukrainian",
	"ur": "Urdu",
	"vi": "Vietnamese",
	"zh": "Chinese",
}

// LanguageName is the English name of a language code, or the code itself
// for one the table does not know.
func LanguageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return code
}

// languageOption is a language in a form: the code sent, the name shown.
type languageOption struct{ Code, Name string }

func languageOptions(codes []string) []languageOption {
	out := make([]languageOption, len(codes))
	for i, c := range codes {
		out[i] = languageOption{c, LanguageName(c)}
	}
	return out
}
