package telegram

import (
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

// inlineKeyboard renders choices as inline buttons whose callback data is
// the Choice ID, one to a row unless every label is short.
func inlineKeyboard(choices []conversations.Choice) tgbotapi.InlineKeyboardMarkup {
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
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(ch.Label, ch.ID))
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
