package twilio

import "strings"

// keyword is a carrier keyword: Twilio (and the carriers) act on these
// before we see them, so our answer must agree with what they did.
type keyword int

const (
	noKeyword keyword = iota
	optOut            // the carrier stops our messages: send nothing, cancel reminders
	optIn             // the resident is back: a short welcome
	help              // required by carriers: who we are, how to stop
)

var keywords = map[string]keyword{
	"STOP": optOut, "STOPALL": optOut, "UNSUBSCRIBE": optOut, "CANCEL": optOut,
	"END": optOut, "QUIT": optOut, "REVOKE": optOut, "OPTOUT": optOut,
	"START": optIn, "UNSTOP": optIn,
	"HELP": help, "INFO": help,
}

// keywordOf returns the keyword body is, matched as Twilio matches: the
// whole message, any case, surrounding space ignored. "Stop please" is not
// an opt-out at Twilio, so it is not one here either; YES (an opt-in word
// at Twilio) stays an answer for the engine.
func keywordOf(body string) keyword {
	return keywords[strings.ToUpper(strings.TrimSpace(body))]
}
