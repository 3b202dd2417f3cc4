package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/locales"
	"github.com/cita-city/cita/scheduling"
)

// bookingCost is what booking the earliest slot for one person costs a
// resident on SMS in lang, from the first message to the confirmation, on
// the server t: the messages the resident sends and the SMS segments of
// all the replies (issue 15). The first message is a greeting of the
// language: the first of its locale's greetings that the server answers in
// lang (candidates answered in another language use numbers of their own
// and are not counted). from yields fresh numbers. gsm reports whether
// every reply went out in GSM-7 (issue 15's targets differ: 8 segments,
// else 12).
func bookingCost(t *target, rr *restReplies, catalog *locales.Catalog, program *scheduling.Program, lang string, from func() string) (messages, segments int, gsm bool, err error) {
	words, err := catalog.Text(lang, "words.greeting", nil)
	if err != nil {
		return 0, 0, false, err
	}
	welcome, err := catalog.Text(lang, "welcome", map[string]any{"Program": program.Name})
	if err != nil {
		return 0, 0, false, err
	}
	for _, greeting := range strings.Split(words, "|") {
		who := from()
		reply, _, err := t.converse(rr, who, greeting, 30*time.Second)
		if err != nil {
			return 0, 0, false, err
		}
		if !strings.HasPrefix(reply, welcome) {
			continue // taken for another language
		}
		gsm = true
		count := func(reply string) {
			n, enc := sms.Segments(reply)
			segments += n
			gsm = gsm && enc == sms.GSM7
		}
		messages = 1
		count(reply)
		// "4" books; one person; "1" takes the earliest time offered.
		for _, step := range []string{"4", "1", "1"} {
			if reply, _, err = t.converse(rr, who, step, 30*time.Second); err != nil {
				return 0, 0, false, err
			}
			messages++
			count(reply)
		}
		if !codeRE.MatchString(reply) {
			return 0, 0, false, fmt.Errorf("booking in %s: not booked after %d messages: %.80q", lang, messages, reply)
		}
		return messages, segments, gsm, nil
	}
	return 0, 0, false, fmt.Errorf("booking in %s: no greeting of the locale was answered in it", lang)
}
