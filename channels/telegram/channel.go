package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// Conversation is the dialogue engine; conversations.Engine implements it.
type Conversation interface {
	Handle(in conversations.Inbound, now time.Time) conversations.Reply
}

// Identifier turns an address (E.164 number or telegram:<user id>) into the
// resident's identities, newest key epoch first; identity.Hasher implements it.
type Identifier interface {
	Identities(address string, now time.Time) ([]scheduling.Identity, error)
}

// Messages are the localized texts; locales.Catalog implements it.
type Messages interface {
	Text(lang, id string, data map[string]any) (string, error)
	// Count is Text's plural form for n: how many people a booking covers.
	Count(lang, id string, n int, data map[string]any) (string, error)
	Date(lang string, t time.Time) string
	Time(lang string, t time.Time) string
}

// Config is what New needs. Token, Engine, IDs, Normalize, Program, Messages
// and Now are required.
type Config struct {
	Token string
	// Endpoint is the Bot API URL pattern in tgbotapi's format, with the
	// token and the method as the two %s (tests point it at a fake).
	// Default tgbotapi.APIEndpoint.
	Endpoint string
	// HTTP is the client requests go through; nil gives one with a timeout
	// that fits a long poll, over Transport (nil: http.DefaultTransport).
	HTTP      *http.Client
	Transport http.RoundTripper
	// WebhookSecret is the secret_token registered with the webhook and
	// expected in X-Telegram-Bot-Api-Secret-Token; Handler refuses every
	// request while it is empty.
	WebhookSecret string

	Engine    Conversation
	IDs       Identifier
	Normalize func(number, region string) (string, error)
	Program   *scheduling.Program
	Messages  Messages
	Now       func() time.Time
	Log       *slog.Logger // nil: discard

	// PollTimeout is how long one getUpdates call waits for an update.
	// Default 25 s.
	PollTimeout time.Duration
	// Rate and ChatGap pace outbound messages; defaults DefaultRate and
	// DefaultChatGap.
	Rate    rate.Limit
	ChatGap time.Duration
	// SendTimeout bounds every call but getUpdates (tgbotapi calls take no
	// context); default 15 s. Backoff is the wait before the first retry of
	// a server or network error, doubling; default DefaultBackoff.
	SendTimeout time.Duration
	Backoff     time.Duration
	// MaxBacklog is how many outbound calls may wait, over all chats,
	// before the channel stops taking updates: the webhook answers 503, so
	// that Telegram delivers the update again later, and polling pauses.
	// Default DefaultMaxBacklog.
	MaxBacklog int
	// OnAttempt, if set, is told of every attempt at an outbound call:
	// provider "telegram", the outcome (one of the Outcome constants,
	// nothing about the resident) and whether it will be retried. Metrics
	// count retries with it. It must not block.
	OnAttempt func(provider, outcome string, retry bool)
}

// Channel serves residents on Telegram.
type Channel struct {
	engine    Conversation
	ids       Identifier
	normalize func(number, region string) (string, error)
	region    string
	program   *scheduling.Program
	messages  Messages
	// Now is the clock; the channel never reads another.
	Now func() time.Time
	log *slog.Logger

	bot         *tgbotapi.BotAPI
	http        doer
	token       string
	secret      string
	pollTimeout time.Duration
	out         *outbox
	mem         *memory
	maxBacklog  int
	tooMany     atomic.Int64 // 429 answers waited out
	flooded     atomic.Int64 // updates dropped: their chat's replies were too far behind
}

// Replies can leave only as fast as Telegram's limits allow (DefaultRate),
// so a surge larger than that must wait somewhere. It waits at Telegram,
// which keeps undelivered updates for a day, rather than in our memory as
// replies nobody will read in time.
const (
	// DefaultMaxBacklog is ten minutes of replies at DefaultRate, a few
	// tens of MB at most.
	DefaultMaxBacklog = 15000
	// maxChatBacklog bounds the calls waiting for one chat, about a minute
	// of them at DefaultChatGap. A message or a button press makes one or
	// two (the reply, and taking the buttons off the previous one), so a
	// person tapping fast stays far below it; a chat that reaches it is a
	// script, which would otherwise fill the whole backlog by itself. Its
	// updates are dropped until it is answered.
	maxChatBacklog = 60
)

// Why an update is not taken now.
var (
	errBusy    = errors.New("telegram: too many replies waiting")
	errFlooded = errors.New("telegram: the chat writes faster than it can be answered")
)

// admit says whether u may be handled now: errBusy while the replies
// waiting over all chats reach MaxBacklog (ask Telegram for u again
// later), errFlooded while its chat's do (drop u).
func (c *Channel) admit(u tgbotapi.Update) error {
	var chat int64
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		chat = u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		chat = u.CallbackQuery.Message.Chat.ID
	}
	all, one := c.out.backlog(chat)
	switch {
	case all >= c.maxBacklog:
		return errBusy
	case one >= maxChatBacklog:
		// Logged at 1, 2, 4, 8... drops: a flood must not flood the log.
		if n := c.flooded.Add(1); n&(n-1) == 0 {
			c.log.Warn("telegram: updates dropped: a chat writes faster than it can be answered", "dropped", n)
		}
		return errFlooded
	}
	return nil
}

// ErrConfig reports a Config New cannot work with.
var ErrConfig = errors.New("telegram: bad configuration")

// New checks cfg, asks the Bot API who the bot is (getMe) and returns the
// channel, ready to Run (long polling) or to serve Handler (webhook).
func New(cfg Config) (*Channel, error) {
	switch {
	case cfg.Token == "":
		return nil, fmt.Errorf("%w: no bot token", ErrConfig)
	case cfg.Engine == nil || cfg.IDs == nil || cfg.Normalize == nil || cfg.Program == nil || cfg.Messages == nil || cfg.Now == nil:
		return nil, fmt.Errorf("%w: engine, identifier, normalizer, program, messages and clock are all required", ErrConfig)
	case cfg.WebhookSecret != "" && !validSecret(cfg.WebhookSecret):
		return nil, fmt.Errorf("%w: the webhook secret must be 1-256 characters A-Z, a-z, 0-9, _ or -", ErrConfig)
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = tgbotapi.APIEndpoint
	}
	if strings.Count(cfg.Endpoint, "%s") != 2 {
		return nil, fmt.Errorf("%w: the API endpoint needs two %%s, for the token and the method (like http://host/bot%%s/%%s)", ErrConfig)
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 25 * time.Second
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.ChatGap <= 0 {
		cfg.ChatGap = DefaultChatGap
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	var hc doer = cfg.HTTP
	if cfg.HTTP == nil {
		hc = &http.Client{Timeout: cfg.PollTimeout + 15*time.Second, Transport: cfg.Transport}
	}
	silence()

	ctx, cancel := context.WithCancel(context.Background())
	bot, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.Endpoint, &scrubbingClient{ctx: ctx, next: hc, token: cfg.Token, timeout: cmp.Or(cfg.SendTimeout, 15*time.Second)})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("telegram: getMe: %w", scrub(err, cfg.Token))
	}
	bot.Debug = false // debug logs message texts, names and chat ids
	c := &Channel{
		engine:      cfg.Engine,
		ids:         cfg.IDs,
		normalize:   cfg.Normalize,
		region:      cfg.Program.Region,
		program:     cfg.Program,
		messages:    cfg.Messages,
		Now:         cfg.Now,
		log:         cfg.Log,
		bot:         bot,
		http:        hc,
		token:       cfg.Token,
		secret:      cfg.WebhookSecret,
		pollTimeout: cfg.PollTimeout,
		mem:         newMemory(),
		maxBacklog:  cmp.Or(cfg.MaxBacklog, DefaultMaxBacklog),
	}
	c.out = newOutbox(ctx, cancel, bot, cfg.Rate, cfg.ChatGap)
	c.out.report = c.sendFailed
	c.out.backoff = cmp.Or(cfg.Backoff, DefaultBackoff)
	if cfg.OnAttempt != nil {
		c.out.attempt = func(outcome string, retry bool) { cfg.OnAttempt("telegram", outcome, retry) }
	}
	c.out.retried = func() { c.tooMany.Add(1) }
	return c, nil
}

// Close sends what is still queued, waiting at most until ctx is done, and
// then stops the sender for good.
func (c *Channel) Close(ctx context.Context) error {
	return c.out.close(ctx)
}

// Sweep forgets update ids, messages and chats older than 48 hours; it
// returns the number of chats forgotten. Handling updates also sweeps, at
// most once a minute; Sweep is for a periodic job.
func (c *Channel) Sweep(now time.Time) int { return c.mem.sweep(now) }

// RateLimited returns how many times the Bot API answered 429 and the
// channel waited and retried.
func (c *Channel) RateLimited() int64 { return c.tooMany.Load() }

// gaveUp logs a call the sender could not make: the method and the error
// only, scrubbed, never its parameters.
func (c *Channel) gaveUp(method string, err error) {
	if apiErr := asAPIError(err); apiErr != nil {
		c.log.Warn("telegram: call refused", "method", method, "code", apiErr.Code, "description", clip(apiErr.Message, 120))
		return
	}
	c.log.Warn("telegram: call failed", "method", method, "err", scrub(err, c.token).Error())
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// validSecret reports whether s is allowed as a webhook secret_token.
func validSecret(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// allowedUpdates are the update kinds the channel asks for.
var allowedUpdates = []string{"message", "callback_query"}

// handle handles one update, once: polling and webhook both come here.
func (c *Channel) handle(u tgbotapi.Update) {
	now := c.Now()
	if !c.mem.firstTime(u.UpdateID, now) {
		return
	}
	switch {
	case u.CallbackQuery != nil:
		c.onCallback(u.CallbackQuery, now)
	case u.Message != nil:
		c.onMessage(u.Message, now)
	}
}

// onMessage handles a message a resident sent.
func (c *Channel) onMessage(m *tgbotapi.Message, now time.Time) {
	if m.Chat == nil || !m.Chat.IsPrivate() || m.From == nil || m.From.IsBot {
		return // residents talk to the bot in private chats only
	}
	hint := langHint(m.From.LanguageCode)
	switch {
	case m.Contact != nil:
		c.onContact(m, hint, now)
	case hasMedia(m):
		c.onMedia(m, hint, now)
	case m.Text != "":
		c.mem.note(m.Chat.ID, m.MessageID, now)
		text := m.Text
		if m.IsCommand() {
			// /start, /menu, /help: the command word is what the engine
			// understands; the slash and any @botname are not.
			text = m.Command()
		}
		c.converse(m.Chat.ID, m.From.ID, conversations.Inbound{Text: text, LangHint: hint}, "", 0, now)
	}
}

// onCallback handles a pressed inline button: answer it at once so the
// button stops spinning, then hand its Choice ID to the engine.
func (c *Channel) onCallback(q *tgbotapi.CallbackQuery, now time.Time) {
	c.out.send(job{chat: callbackQueue, call: tgbotapi.NewCallback(q.ID, "")})
	if q.Message == nil || q.Message.Chat == nil || !q.Message.Chat.IsPrivate() || q.From == nil || q.Data == "" {
		return
	}
	echo := pressedLabel(q.Message.ReplyMarkup, q.Data)
	in := conversations.Inbound{Choice: c.choiceOf(q.Message.Chat.ID, q.Data, now), LangHint: langHint(q.From.LanguageCode)}
	c.converse(q.Message.Chat.ID, q.From.ID, in, echo, q.Message.MessageID, now)
}

// callbackQueue is the outbox queue for callback answers: not a chat, so
// they never wait behind a chat's paced messages.
const callbackQueue = 0

// converse hands in to the engine as the resident and renders the reply.
// echo is the label of the button pressed, pressed its message.
func (c *Channel) converse(chatID, userID int64, in conversations.Inbound, echo string, pressed int, now time.Time) {
	ids, err := c.identities(chatID, userID, now)
	if err != nil || len(ids) == 0 {
		c.log.Error("telegram: identify resident", "err", err)
		lang := c.lang(chatID, in.LangHint, now)
		c.out.send(c.textJob(chatID, c.text(lang, "error", nil), nil, now))
		return
	}
	in.Identity, in.Aliases = ids[0], ids[1:]
	reply := c.engine.Handle(in, now)
	c.render(chatID, reply, echo, pressed, now)
}

// identities are the shared phone's, if the resident shared it, else those
// of telegram:<user id>.
func (c *Channel) identities(chatID, userID int64, now time.Time) ([]scheduling.Identity, error) {
	var phone []scheduling.Identity
	c.mem.with(chatID, now, func(st *chat) { phone = st.phone })
	if phone != nil {
		return phone, nil
	}
	return c.ids.Identities(identity.TelegramAddress(userID), now)
}

// render sends the engine's reply: its text (after the echo of the pressed
// button) with the choices as inline buttons; then a calendar file for a
// booking (or one withdrawing it, on a cancel), the share-my-phone offer on first contact, and last the removal
// of the buttons the resident can no longer use. "Delete my data" first
// deletes the chat's remembered messages.
func (c *Channel) render(chatID int64, reply conversations.Reply, echo string, pressed int, now time.Time) {
	var jobs []job
	withdrawn := c.withdrawals(chatID, reply.Effects, now) // before the chat is forgotten
	forgotten := false
	for _, e := range reply.Effects {
		if e.Kind == conversations.Forgotten {
			forgotten = true
			for _, id := range c.mem.forget(chatID, now) {
				jobs = append(jobs, job{chat: chatID, call: tgbotapi.NewDeleteMessage(chatID, id)})
			}
			pressed = 0 // deleted with the rest
		}
	}
	var stale []int
	var offer bool
	lang := reply.Lang
	c.mem.with(chatID, now, func(st *chat) {
		if lang != "" {
			st.lang = lang
		} else {
			lang = st.lang
		}
		if st.keyboard != 0 {
			stale = append(stale, st.keyboard)
		}
		st.keyboard = 0
		if forgotten {
			st.offered = true // they just asked us to forget: do not ask for more
		}
		if !st.offered && st.phone == nil {
			st.offered, offer = true, true
		}
	})
	if lang == "" {
		lang = c.defaultLang()
	}
	if pressed != 0 && (len(stale) == 0 || stale[0] != pressed) {
		stale = append(stale, pressed)
	}

	text := reply.Text
	if echo != "" {
		text = "› " + echo + "\n\n" + text
	}
	var markup any
	if len(reply.Choices) > 0 {
		markup = c.keyboard(chatID, reply.Choices, now)
	}
	jobs = append(jobs, c.textJob(chatID, text, markup, now))
	for _, e := range reply.Effects {
		if e.Kind == conversations.Booked || e.Kind == conversations.Moved {
			if j, ok := c.calendarJob(chatID, e.Appointment, lang, now); ok {
				jobs = append(jobs, j)
			}
		}
	}
	for _, w := range withdrawn {
		if j, ok := c.cancelJob(chatID, w, lang, now); ok {
			jobs = append(jobs, j)
		}
	}
	if offer {
		button := tgbotapi.NewKeyboardButtonContact(c.text(lang, "telegram.share.button", nil))
		kb := tgbotapi.NewOneTimeReplyKeyboard(tgbotapi.NewKeyboardButtonRow(button))
		kb.ResizeKeyboard = true
		jobs = append(jobs, c.textJob(chatID, c.text(lang, "telegram.share.offer", nil), kb, now))
	}
	for _, id := range stale {
		empty := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
		jobs = append(jobs, job{chat: chatID, message: true, call: tgbotapi.NewEditMessageReplyMarkup(chatID, id, empty)})
	}
	c.out.send(jobs...)
}

// textJob sends a text message, remembering it for "delete my data"; a
// message with inline buttons becomes the chat's live keyboard.
func (c *Channel) textJob(chatID int64, text string, markup any, _ time.Time) job {
	msg := tgbotapi.NewMessage(chatID, text)
	if markup != nil {
		msg.ReplyMarkup = markup
	}
	_, buttons := markup.(tgbotapi.InlineKeyboardMarkup)
	return job{chat: chatID, message: true, call: msg, sent: func(m tgbotapi.Message) {
		now := c.Now()
		c.mem.note(chatID, m.MessageID, now)
		if buttons {
			c.mem.with(chatID, now, func(st *chat) { st.keyboard = m.MessageID })
		}
	}}
}

// onMedia deletes a photo, file, voice or video message unopened (P6) and
// says documents are shown in person.
func (c *Channel) onMedia(m *tgbotapi.Message, hint string, now time.Time) {
	lang := c.lang(m.Chat.ID, hint, now)
	c.out.send(
		job{chat: m.Chat.ID, call: tgbotapi.NewDeleteMessage(m.Chat.ID, m.MessageID)},
		c.textJob(m.Chat.ID, c.text(lang, "telegram.documents", nil), nil, now),
	)
}

// onContact links the resident to a phone number they shared with the
// share-my-phone button: from then on their identity is the number's, as on
// SMS. The number is normalized, hashed and dropped, and the message that
// carried it is deleted at Telegram.
func (c *Channel) onContact(m *tgbotapi.Message, hint string, now time.Time) {
	chatID := m.Chat.ID
	lang := c.lang(chatID, hint, now)
	jobs := []job{{chat: chatID, call: tgbotapi.NewDeleteMessage(chatID, m.MessageID)}}
	reply, markup := "telegram.share.notyours", any(nil)
	// Only the resident's own contact: anyone can forward someone else's.
	if m.Contact.UserID != 0 && m.Contact.UserID == m.From.ID {
		number := strings.TrimSpace(m.Contact.PhoneNumber)
		if !strings.HasPrefix(number, "+") {
			number = "+" + number // Telegram sends full international numbers, often without the +
		}
		e164, err := c.normalize(number, c.region)
		var ids []scheduling.Identity
		if err == nil {
			ids, err = c.ids.Identities(e164, now)
		}
		switch {
		case err != nil && errors.Is(err, identity.ErrNotPhone):
			reply = "telegram.share.invalid"
		case err != nil || len(ids) == 0:
			c.log.Error("telegram: identify shared phone", "err", err)
			reply = "error"
		default:
			c.mem.with(chatID, now, func(st *chat) { st.phone = ids })
			reply, markup = "telegram.share.done", tgbotapi.NewRemoveKeyboard(false)
		}
	}
	jobs = append(jobs, c.textJob(chatID, c.text(lang, reply, nil), markup, now))
	c.out.send(jobs...)
}

// hasMedia reports whether m carries a file of any kind.
func hasMedia(m *tgbotapi.Message) bool {
	return len(m.Photo) > 0 || m.Document != nil || m.Voice != nil || m.Video != nil ||
		m.VideoNote != nil || m.Audio != nil || m.Sticker != nil || m.Animation != nil
}

// langHint turns Telegram's language_code (an IETF tag like "es" or
// "pt-br") into its primary language.
func langHint(code string) string {
	code = strings.ToLower(code)
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	return code
}

// lang picks the language for a text the channel writes itself: the last
// reply's, else the resident's Telegram language if we have it, else the
// program's first.
func (c *Channel) lang(chatID int64, hint string, now time.Time) string {
	var lang string
	c.mem.with(chatID, now, func(st *chat) { lang = st.lang })
	if lang != "" {
		return lang
	}
	if hint != "" {
		if _, err := c.messages.Text(hint, "telegram.documents", nil); err == nil {
			return hint
		}
	}
	return c.defaultLang()
}

func (c *Channel) defaultLang() string {
	if len(c.program.Languages) > 0 {
		return c.program.Languages[0]
	}
	return "en"
}

// text returns message id in lang, falling back to the program's first
// language: a resident gets some answer rather than none.
func (c *Channel) text(lang, id string, data map[string]any) string {
	s, err := c.messages.Text(lang, id, data)
	if err == nil {
		return s
	}
	if def := c.defaultLang(); def != lang {
		if s, err2 := c.messages.Text(def, id, data); err2 == nil {
			return s
		}
	}
	c.log.Error("telegram: message text", "id", id, "lang", lang, "err", err)
	return id
}
