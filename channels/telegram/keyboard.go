package telegram

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/cita-city/cita/conversations"
)

// shortLabel is the longest label (in characters) of a button that may share
// its row: short choices like times of day fit three to a row on a phone.
const (
	shortLabel = 10
	perRow     = 3
)

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// keyboard renders choices as the chat's inline buttons: a Choice ID that
// fits is the callback data itself; a longer one (an office id from the
// program file can be any length) is replaced by a token the chat
// remembers, and turned back by choiceOf.
func (c *Channel) keyboard(chatID int64, choices []conversations.Choice, now time.Time) tgbotapi.InlineKeyboardMarkup {
	var kb tgbotapi.InlineKeyboardMarkup
	c.mem.with(chatID, now, func(st *chat) {
		if len(st.callbacks)+len(choices) > maxCallbacks {
			st.callbacks = nil // the oldest keyboards' tokens go
		}
		kb = inlineKeyboard(choices, func(id string) string { return callbackData(st, id) })
	})
	return kb
}

// choiceOf returns the Choice ID a pressed button's callback data stands
// for: the data itself, unless it is a token the chat remembers.
func (c *Channel) choiceOf(chatID int64, data string, now time.Time) string {
	id := data
	if strings.HasPrefix(data, tokenPrefix) {
		c.mem.with(chatID, now, func(st *chat) {
			if long, ok := st.callbacks[data]; ok {
				id = long
			}
		})
	}
	return id
}

// tokenPrefix starts every token; no Choice ID the engine makes starts
// with it.
const tokenPrefix = "~"

// maxCallbacks bounds the tokens a chat remembers: past it they are
// dropped, and the buttons of old keyboards (long replaced) that used them
// get "didn't get that".
const maxCallbacks = 64

// callbackData is id if it fits in callback data, else its token, which
// st remembers. A token is a hash of the ID, so the same choice gets the
// same token in every keyboard.
func callbackData(st *chat, id string) string {
	if len(id) <= maxCallbackData && !strings.HasPrefix(id, tokenPrefix) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(sum[:12])
	if st.callbacks == nil {
		st.callbacks = map[string]string{}
	}
	st.callbacks[token] = id
	return token
}

// inlineKeyboard renders choices as inline buttons whose callback data is
// data(Choice ID), one to a row unless every label is short.
func inlineKeyboard(choices []conversations.Choice, data func(id string) string) tgbotapi.InlineKeyboardMarkup {
	width := perRow
	for _, ch := range choices {
		if utf8.RuneCountInString(ch.Label) > shortLabel {
			width = 1
			break
		}
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, ch := range choices {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(ch.Label, data(ch.ID)))
		if len(row) == width {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return tgbotapi.NewInlineKeyboardMarkup(rows...)
}

// pressedLabel finds the label of the button with callback data data in
// the keyboard the resident pressed, for the echo; "" if it is not there.
func pressedLabel(kb *tgbotapi.InlineKeyboardMarkup, data string) string {
	if kb == nil {
		return ""
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && *b.CallbackData == data {
				return b.Text
			}
		}
	}
	return ""
}
