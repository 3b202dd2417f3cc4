package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
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
// resident's identities, newest key epoch first; identity.Hasher and
// identity.Keyring (the running program's) implement it. The channel keeps
// only the address and asks each time, so a key rotation takes effect at
// the next message (issue 14).
type Identifier interface {
	// Cached answers from memory only, never stretching: a returning
	// resident is answered at once.
	Cached(address string, now time.Time) ([]scheduling.Identity, bool)
	// Admit waits its turn, in arrival order, for the stretch a new
	// resident needs. An error for which busyWait holds turns the
	// resident away: the line is too long. When ctx ends, the address
	// leaves the line and nothing is stretched.
	Admit(ctx context.Context, address string, now time.Time) ([]scheduling.Identity, error)
}

// Messages are the localized texts; locales.Catalog implements it.
type Messages interface {
	Text(lang, id string, data map[string]any) (string, error)
	// Count is Text for a message with plural forms, n being {{.Count}}.
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

	// Deliveries remembers the updates acted on, so that one delivered
	// again acts once; nil keeps them in memory, forgotten at a restart.
	// DedupeKey keys the digests it stores (identity.DedupeKey of the
	// live keys; asked at each update, since rotate-key can change it).
	// Nil: the zero key.
	Deliveries Deliveries
	DedupeKey  func() [32]byte

	// PollTimeout is how long one getUpdates call waits for an update.
	// Default 25 s.
	PollTimeout time.Duration
	// PollGap is the least time between the starts of two getUpdates
	// calls when the first returned nothing: an API (or proxy) answering
	// at once must not be polled in a tight loop. Default DefaultPollGap.
	PollGap time.Duration
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
	pollGap     time.Duration
	out         *outbox
	in          *inbox
	mem         *memory
	maxBacklog  int

	deliveries Deliveries
	memDeliver *memoryDeliveries // deliveries, when kept in memory
	dedupeKey  func() [32]byte

	// life ends when Stop gives up waiting: a resident still waiting in
	// Admit leaves the line.
	life    context.Context
	end     context.CancelFunc
	closing chan struct{} // closed when Stop begins: polling ends
	stopped sync.Once
	tooMany atomic.Int64 // 429 answers waited out
	flooded atomic.Int64 // updates dropped: their chat's replies were too far behind
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
	// errStopping: the channel is shutting down and takes no more updates.
	errStopping = errors.New("telegram: shutting down")
)

// admit says whether u may be handled now: errBusy while the replies and
// updates waiting over all chats reach MaxBacklog (ask Telegram for u
// again later), errFlooded while its chat's do (drop u).
func (c *Channel) admit(u tgbotapi.Update) error {
	chat := chatOf(u)
	all, one := c.out.backlog(chat)
	inAll, inOne := c.in.backlog(chat)
	all, one = all+inAll, one+inOne
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
	if cfg.PollGap <= 0 {
		cfg.PollGap = DefaultPollGap
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
	client := &scrubbingClient{ctx: ctx, next: hc, token: cfg.Token, timeout: cmp.Or(cfg.SendTimeout, 15*time.Second)}
	getMe := &statusClient{next: client}
	bot, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.Endpoint, getMe)
	if err != nil {
		cancel()
		// The status and code only: the text could hold the answer's
		// description.
		return nil, &callError{method: "getMe", status: getMe.status, err: scrub(err, cfg.Token)}
	}
	bot.Client = client
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
		pollGap:     cfg.PollGap,
		mem:         newMemory(),
		maxBacklog:  cmp.Or(cfg.MaxBacklog, DefaultMaxBacklog),
		deliveries:  cfg.Deliveries,
		dedupeKey:   cfg.DedupeKey,
		closing:     make(chan struct{}),
	}
	if c.dedupeKey == nil {
		c.dedupeKey = func() [32]byte { return [32]byte{} }
	}
	if c.deliveries == nil {
		c.memDeliver = newMemoryDeliveries()
		c.deliveries = c.memDeliver
	}
	c.life, c.end = context.WithCancel(context.Background())
	c.in = newInbox(c.process)
	c.out = newOutbox(ctx, cancel, caller{bot}, cfg.Rate, cfg.ChatGap)
	c.out.report = c.sendFailed
	c.out.backoff = cmp.Or(cfg.Backoff, DefaultBackoff)
	if cfg.OnAttempt != nil {
		c.out.attempt = func(outcome string, retry bool) { cfg.OnAttempt("telegram", outcome, retry) }
	}
	c.out.retried = func() { c.tooMany.Add(1) }
	return c, nil
}

// Stop shuts the channel down: it takes no more updates (the webhook
// answers 503, so Telegram delivers them again later; polling ends), then
// waits until ctx is done for the updates taken to be handled and their
// replies sent. Then it gives up: a resident still waiting for their turn
// leaves the line, unsent calls are cancelled, in flight or not. It returns
// within a second (2 × settleLimit) of ctx whatever the Bot API does, and
// reports how many pieces of work were left undone: updates taken but not
// handled, and Bot API calls not made (replies, deletions of "delete my
// data"). The caller logs the count; what they were is not said anywhere.
func (c *Channel) Stop(ctx context.Context) (left int) {
	c.stopped.Do(func() {
		c.in.close()
		close(c.closing)
	})
	c.in.wait(ctx)
	c.end()
	left = c.in.end(settleLimit)
	return left + c.out.stop(ctx)
}

// settleLimit bounds each of the two waits of Stop after its context
// ends: for the updates being handled to notice, and for the calls in
// flight to be cancelled. Both take microseconds unless the machine is
// starved.
const settleLimit = 500 * time.Millisecond

// forgetDelivery lets an update recorded but then refused (Stop began in
// between) act when Telegram delivers it again.
func (c *Channel) forgetDelivery(d delivery) {
	if err := c.deliveries.ForgetDelivery(d.digest); err != nil {
		c.log.Error("telegram: forget delivery", "err", err)
	}
}

// Sweep forgets messages and chats older than 48 hours, and the update
// ids kept in memory; it returns the number of chats forgotten. Handling
// updates also sweeps, at most once a minute; Sweep is for a periodic job.
func (c *Channel) Sweep(now time.Time) int {
	if c.memDeliver != nil {
		c.memDeliver.sweep(now)
	}
	return c.mem.sweep(now)
}

// RateLimited returns how many times the Bot API answered 429 and the
// channel waited and retried.
func (c *Channel) RateLimited() int64 { return c.tooMany.Load() }

// gaveUp logs a call that failed: the method, the HTTP status, the Bot
// API's error_code and the outcome. Never the description or the error's
// text: Telegram echoes parameters in them, chat ids and numbers included
// (docs/PRIVACY.md).
func (c *Channel) gaveUp(method string, err error) {
	c.log.Warn("telegram: call failed", "method", method, "status", httpStatus(err), "code", errorCode(err), "outcome", outcome(err))
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

// handle takes one update, once: polling and webhook both come here. An
// update delivered before (within the dedupe window, across restarts when
// Deliveries is durable) is dropped; a new one is queued behind its chat's
// earlier ones and handled off the caller's goroutine, so neither the poll
// loop nor a webhook request waits for a resident's identity. It returns
// errStopping, taking nothing, once Stop has begun.
func (c *Channel) handle(u tgbotapi.Update) error {
	select {
	case <-c.closing:
		return errStopping
	default:
	}
	d := delivery{update: u, digest: deliveryDigest(c.dedupeKey(), u.UpdateID)}
	first, err := c.deliveries.FirstDelivery(d.digest, c.Now())
	if err != nil {
		// Acting twice on a replay is better than never acting.
		c.log.Error("telegram: dedupe store", "err", err)
		first = true
	}
	if !first {
		return nil
	}
	if !c.in.add(chatOf(u), d) {
		c.forgetDelivery(d)
		return errStopping
	}
	return nil
}

// chatOf is the chat an update belongs to; 0 when it has none.
func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	}
	return 0
}

// process handles one update on its chat's goroutine; false means it was
// cut short by shutdown.
func (c *Channel) process(d delivery) bool {
	now := c.Now()
	switch u := d.update; {
	case u.CallbackQuery != nil:
		return c.onCallback(u.CallbackQuery, now)
	case u.Message != nil:
		return c.onMessage(u.Message, now)
	}
	return true
}

// onMessage handles a message a resident sent.
func (c *Channel) onMessage(m *tgbotapi.Message, now time.Time) bool {
	if m.Chat == nil || !m.Chat.IsPrivate() || m.From == nil || m.From.IsBot {
		return true // residents talk to the bot in private chats only
	}
	hint := langHint(m.From.LanguageCode)
	switch {
	case m.Contact != nil:
		return c.onContact(m, hint, now)
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
		return c.converse(m.Chat.ID, m.From.ID, conversations.Inbound{Text: text, LangHint: hint}, "", 0, now)
	}
	return true
}

// onCallback handles a pressed inline button: answer it at once so the
// button stops spinning, then hand its Choice ID to the engine.
func (c *Channel) onCallback(q *tgbotapi.CallbackQuery, now time.Time) bool {
	c.out.send(job{chat: callbackQueue, call: tgbotapi.NewCallback(q.ID, "")})
	if q.Message == nil || q.Message.Chat == nil || !q.Message.Chat.IsPrivate() || q.From == nil || q.Data == "" {
		return true
	}
	echo := pressedLabel(q.Message.ReplyMarkup, q.Data)
	in := conversations.Inbound{Choice: c.choiceOf(q.Message.Chat.ID, q.Data, now), LangHint: langHint(q.From.LanguageCode)}
	return c.converse(q.Message.Chat.ID, q.From.ID, in, echo, q.Message.MessageID, now)
}

// callbackQueue is the outbox queue for callback answers: not a chat, so
// they never wait behind a chat's paced messages.
const callbackQueue = 0

// converse hands in to the engine as the resident and renders the reply.
// echo is the label of the button pressed, pressed its message. It returns
// false if shutdown came while the resident waited for their turn.
func (c *Channel) converse(chatID, userID int64, in conversations.Inbound, echo string, pressed int, now time.Time) bool {
	ids, err := c.identify(c.address(chatID, userID, now), now)
	if wait, busy := busyWait(err); busy {
		c.busy(chatID, in.LangHint, wait, now)
		return true
	}
	if err != nil && c.life.Err() != nil {
		return false
	}
	if err != nil || len(ids) == 0 {
		c.log.Error("telegram: identify resident", "err", err)
		lang := c.lang(chatID, in.LangHint, now)
		c.out.send(c.textJob(chatID, c.text(lang, "error", nil), nil, now))
		return true
	}
	now = c.Now() // the wait for a turn may have been long
	in.Identity, in.Aliases = ids[0], ids[1:]
	reply := c.engine.Handle(in, now)
	if reply.Repeat {
		return true // a double tap: the first one's reply answers it
	}
	c.render(chatID, reply, echo, pressed, now)
	return true
}

// address is the resident's: the number they shared, if they did, else
// telegram:<user id>.
func (c *Channel) address(chatID, userID int64, now time.Time) string {
	var phone string
	c.mem.with(chatID, now, func(st *chat) { phone = st.phone })
	if phone != "" {
		return phone
	}
	return identity.TelegramAddress(userID)
}

// identify returns address's identities: from memory at once for a
// returning resident, else after waiting their turn for the stretch.
func (c *Channel) identify(address string, now time.Time) ([]scheduling.Identity, error) {
	if ids, ok := c.ids.Cached(address, now); ok {
		return ids, nil
	}
	return c.ids.Admit(c.life, address, now)
}

// busy tells a resident turned away by admission that the line is full
// and in how many minutes to write again; nothing else is done for the
// message (issue 12).
func (c *Channel) busy(chatID int64, hint string, wait time.Duration, now time.Time) {
	lang := c.lang(chatID, hint, now)
	minutes := max(1, int(math.Ceil(wait.Minutes())))
	c.out.send(c.textJob(chatID, c.count(lang, "busy", minutes, nil), nil, now))
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
		if !st.offered && st.phone == "" {
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
//
// The number is then the resident's address, kept in this chat's memory
// (not its hashes, which a key rotation would leave stale) and handed to
// the Identifier at each message. Sharing it is a first message for that
// number: it waits its turn, and a resident turned away as busy is told so
// and stays unlinked.
func (c *Channel) onContact(m *tgbotapi.Message, hint string, now time.Time) bool {
	chatID := m.Chat.ID
	lang := c.lang(chatID, hint, now)
	jobs := []job{{chat: chatID, call: tgbotapi.NewDeleteMessage(chatID, m.MessageID)}}
	reply, markup := "telegram.share.notyours", any(nil)
	// Only the resident's own contact: anyone can forward someone else's.
	if m.Contact.UserID != 0 && m.Contact.UserID == m.From.ID {
		number := strings.TrimSpace(m.Contact.PhoneNumber)
		if number != "" && number[0] >= '0' && number[0] <= '9' {
			// Telegram sends full international numbers, often without
			// the '+'; anything else is identity.NormalizePhone's to judge.
			number = "+" + number
		}
		e164, err := c.normalize(number, c.region)
		var ids []scheduling.Identity
		if err == nil {
			ids, err = c.identify(e164, now)
		}
		wait, busy := busyWait(err)
		switch {
		case busy:
			c.out.send(jobs...)
			c.busy(chatID, hint, wait, now)
			return true
		case err != nil && errors.Is(err, identity.ErrNotPhone):
			reply = "telegram.share.invalid"
		case err != nil && c.life.Err() != nil:
			c.out.send(jobs...) // the number's message goes all the same
			return false
		case err != nil || len(ids) == 0:
			c.log.Error("telegram: identify shared phone", "err", err)
			reply = "error"
		default:
			c.mem.with(chatID, now, func(st *chat) { st.phone = e164 })
			reply, markup = "telegram.share.done", tgbotapi.NewRemoveKeyboard(false)
		}
	}
	jobs = append(jobs, c.textJob(chatID, c.text(lang, reply, nil), markup, now))
	c.out.send(jobs...)
	return true
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

// count is text for a message with plural forms.
func (c *Channel) count(lang, id string, n int, data map[string]any) string {
	s, err := c.messages.Count(lang, id, n, data)
	if err == nil {
		return s
	}
	if def := c.defaultLang(); def != lang {
		if s, err2 := c.messages.Count(def, id, n, data); err2 == nil {
			return s
		}
	}
	c.log.Error("telegram: message text", "id", id, "lang", lang, "err", err)
	return id
}
