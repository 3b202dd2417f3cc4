package sms

import "github.com/cita-city/cita/conversations"

// Encodings a message is sent in, as Segments reports them.
const (
	GSM7 = conversations.GSM7
	UCS2 = conversations.UCS2
)

// Segments returns how many SMS segments s takes and the encoding it goes
// out in. The engine counts with the same rules when it picks a reply's
// shorter form, so both agree on what fits.
func Segments(s string) (n int, encoding string) { return conversations.Encode(s) }
