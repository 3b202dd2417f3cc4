package main

import (
	"net/url"
	"testing"
)

// TestSignTwilioExample checks the signer against the worked example of
// Twilio's request validation (the vector in Twilio's own SDK tests), and
// against the same example with the caller number of the newer docs page.
func TestSignTwilioExample(t *testing.T) {
	const exampleURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
	for _, tc := range []struct{ caller, want string }{
		{"+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		// The docs page now shows +12349013030 with this signature.
		{"+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
	} {
		params := url.Values{
			"CallSid": {"CA1234567890ABCDE"},
			"Caller":  {tc.caller},
			"Digits":  {"1234"},
			"From":    {tc.caller},
			"To":      {"+18005551212"},
		}
		if got := sign("12345", exampleURL, params); got != tc.want {
			t.Errorf("caller %s: sign = %s, want %s", tc.caller, got, tc.want)
		}
		params.Set("Digits", "1235")
		if got := sign("12345", exampleURL, params); got == tc.want {
			t.Errorf("caller %s: a changed parameter kept the signature", tc.caller)
		}
	}
}
