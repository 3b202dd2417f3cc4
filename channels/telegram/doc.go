// Package telegram is the Telegram channel: it turns Bot API updates into
// conversations.Inbound and renders conversations.Reply back as messages with
// inline buttons. It is the only package that imports telegram-bot-api.
//
// Updates arrive by long polling (Run, the default: no public URL needed) or
// by webhook (RegisterWebhook plus Handler). Either way each update is
// deduplicated by update_id (through Deliveries, which keeps a keyed digest
// of it, across restarts when the database is given) and queued behind its
// chat's earlier updates; each chat with work has a goroutine handling them
// one at a time in arrival order. So the poll loop and a webhook request
// never wait for a resident: a returning resident's identity comes from the
// Identifier's memory (Cached), a new resident waits their turn for the
// stretch (Admit) on their chat's goroutine, and one turned away because
// the line is too long is told when to write again (message "busy") and
// nothing else happens.
//
// What it keeps, and only in memory: per chat the ids of messages still
// deletable (48 h, for "delete my data"), the language of the last reply,
// and the number the resident shared (their address from then on; its
// hashes are asked of the Identifier at every message, so that a key
// rotation shows at once); and, without Deliveries, the update ids seen
// (48 h). It never logs a chat id, user id, name, number or text, nor
// Telegram's error descriptions, which can echo them; and it never
// downloads a photo or file (promise P6): such messages are deleted at
// Telegram and answered with "show documents in person".
//
// Outbound messages go through a paced sender: 25 messages a second overall
// and at least 1.1 s between messages to one chat, below Telegram's limits
// of 30/s and 1/s per chat; a 429 is waited out (retry_after) and retried, so
// nothing is dropped. A server or network error is retried with backoff off
// the chat's queue, so that a failing call (a calendar file) does not hold
// the chat's next reply; a 4xx other than 429 is not retried.
//
// Stop ends it within a deadline whatever the Bot API does, and counts the
// work it left undone.
//
// The library puts the bot token into the URL of every request, and so into
// every transport error; the HTTP client given to it scrubs the token out of
// errors, and the library's own logger is silenced.
package telegram
