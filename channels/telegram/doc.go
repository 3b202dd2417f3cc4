// Package telegram is the Telegram channel: it turns Bot API updates into
// conversations.Inbound and renders conversations.Reply back as messages with
// inline buttons. It is the only package that imports telegram-bot-api.
//
// Updates arrive by long polling (Run, the default: no public URL needed) or
// by webhook (RegisterWebhook plus Handler). Either way each update is
// deduplicated by update_id in memory and handled the same way.
//
// What it keeps, and only in memory: update ids seen (48 h), per chat the ids
// of messages still deletable (48 h, for "delete my data"), the language of
// the last reply, and the hashed identities of a phone number the resident
// shared. It never keeps or logs a chat id, user id, name, number or text
// beyond those maps, and never downloads a photo or file (promise P6): such
// messages are deleted at Telegram and answered with "show documents in
// person".
//
// Outbound messages go through a paced sender: 25 messages a second overall
// and at least 1.1 s between messages to one chat, below Telegram's limits
// of 30/s and 1/s per chat; a 429 is waited out (retry_after) and retried, so
// nothing is dropped.
//
// The library puts the bot token into the URL of every request, and so into
// every transport error; the HTTP client given to it scrubs the token out of
// errors, and the library's own logger is silenced.
package telegram
