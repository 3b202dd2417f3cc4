package conversations

// Detect exposes the first-message language guess to the external tests
// (conversations_test): the language and whether any was recognized.
func Detect(e *Engine, text string) (string, bool) { return e.detect(e.available(), text) }

// BuildIdentifier builds a fresh identifier for e's languages, outside the
// shared cache, so a test can measure what one costs.
func BuildIdentifier(e *Engine) any {
	langs := e.available()
	scripts := make([]string, len(langs))
	for i, l := range langs {
		scripts[i] = e.textIn(l, "language.script", nil)
	}
	return newIdentifier(langs, scripts)
}
