package twilio

import (
	"time"

	"github.com/cita-city/cita/conversations"
)

// language picks the language of a text the channel answers itself (HELP,
// START, MMS, busy) to the resident at number from: the one the engine
// would answer in, so the text comes in the language of their conversation
// or appointment, else of what they wrote. It never stretches: a resident
// whose identities are not in memory gets the language of their words (or
// the program's first).
func (ch *Channel) language(from, text string, now time.Time) string {
	in := conversations.Inbound{Text: text}
	if ids, ok := ch.c.IDs.Cached(from, now); ok && len(ids) > 0 {
		in.Identity, in.Aliases = ids[0], ids[1:]
	}
	if l := ch.c.Engine.Language(in, now); l != "" {
		return l
	}
	return ch.c.Program.Languages[0]
}
