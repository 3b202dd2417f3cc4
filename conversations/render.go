package conversations

import (
	"strconv"
	"strings"
)

// Render shows a reply as plain text, the way SMS and the terminal show it:
// the text, a blank line, then one choice a line, numbered from 1 in order,
// with the choice whose ID is "0" last as "0".
func Render(r Reply) string {
	var b strings.Builder
	b.WriteString(r.Text)
	if len(r.Choices) == 0 {
		return b.String()
	}
	b.WriteString("\n")
	n := 0
	var zero *Choice
	for i, c := range r.Choices {
		if c.ID == idForget {
			zero = &r.Choices[i]
			continue
		}
		n++
		b.WriteString("\n" + strconv.Itoa(n) + " " + c.Label)
	}
	if zero != nil {
		b.WriteString("\n0 " + zero.Label)
	}
	return b.String()
}
