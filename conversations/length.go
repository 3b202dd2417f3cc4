package conversations

import (
	"strings"
	"unicode/utf16"
)

// MaxSegments is the most SMS segments a reply should take. Replies that
// can be said shorter (a booking confirmation with a long office name in a
// language that needs UCS-2) fall back to their compact form beyond it.
const MaxSegments = 3

// GSM 03.38: the basic character set, and the extension characters that
// take two septets.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7ext = "^{}\\[~]|€\f"
)

// Segments returns how many SMS segments text takes: up to 160 GSM-7
// septets in one, 153 a segment when split; with any other character,
// 70 UTF-16 units in one, 67 a segment when split.
func Segments(text string) int {
	n := 0
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7, r):
			n++
		case strings.ContainsRune(gsm7ext, r):
			n += 2
		default:
			u := len(utf16.Encode([]rune(text)))
			if u <= 70 {
				return 1
			}
			return (u + 66) / 67
		}
	}
	if n <= 160 {
		return 1
	}
	return (n + 152) / 153
}
