package scheduling

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// CodeAlphabet holds the characters of confirmation codes: digits and
// capitals without 0, O, 1, I and L, which people misread and mistype.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CodeLen is the length of a confirmation code.
const CodeLen = 6

// codeLimit is the largest multiple of len(CodeAlphabet) that fits in a
// byte: bytes at or above it are dropped so every character is equally likely.
const codeLimit = 256 / len(CodeAlphabet) * len(CodeAlphabet)

// NewCode draws a confirmation code of CodeLen characters, each uniformly
// from CodeAlphabet, reading random bytes from r (crypto/rand when r is nil).
// Uniqueness is the store's business: it refuses a code in use (ErrCodeTaken).
func NewCode(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var code [CodeLen]byte
	buf := make([]byte, CodeLen)
	for n := 0; n < CodeLen; {
		b := buf[:CodeLen-n]
		if _, err := io.ReadFull(r, b); err != nil {
			return "", fmt.Errorf("confirmation code: %w", err)
		}
		for _, c := range b {
			if int(c) < codeLimit {
				code[n] = CodeAlphabet[int(c)%len(CodeAlphabet)]
				n++
			}
		}
	}
	return string(code[:]), nil
}

// NormalizeCode turns a code as a resident or clerk typed it ("k7m 2qx",
// "K7M-2QX") into the stored form: upper case, without spaces or dashes.
// It does not check the result: see ValidCode.
func NormalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// ValidCode reports whether s is a code in stored form: CodeLen characters
// of CodeAlphabet. Normalize typed input first.
func ValidCode(s string) bool {
	if len(s) != CodeLen {
		return false
	}
	for i := range len(s) {
		if strings.IndexByte(CodeAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
