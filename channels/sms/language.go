package sms

import (
	"time"

	"github.com/cita-city/cita/conversations"
)

// language picks the language of a text the channel answers itself (HELP,
// START, MMS) to the resident at number from: the one the engine would
// answer in, so the text comes in the language of their conversation or
// appointment, else of what they wrote. If the resident cannot be
// identified (hashing failed), the program's first language.
func (ch *Channel) language(from, text string, now time.Time) string {
	first := ch.c.Program.Languages[0]
	ids, err := ch.c.IDs.Identities(from, now)
	if err != nil || len(ids) == 0 {
		ch.c.Log.Warn("sms: cannot identify sender, answering in the first language")
		return first
	}
	l := ch.c.Engine.Language(conversations.Inbound{Identity: ids[0], Aliases: ids[1:], Text: text}, now)
	if l == "" {
		return first
	}
	return l
}
