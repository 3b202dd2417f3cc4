package twilio

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// inbox keeps each resident's messages in one line, so that they are
// handled one at a time in the order they arrived, whether a message is
// answered in the webhook's TwiML or later through the REST API. A line
// exists while one of the resident's messages is being handled or waits.
//
// A line whose first message waits for its sender's identity stretch holds
// no goroutine: its place in the admission queue calls back when the
// stretch is done (identity.Hasher.AdmitAsync), so a surge of newcomers
// costs memory for their messages only, and goroutines only for the work
// being done.
//
// Lines are keyed by an HMAC of the number under a key drawn at start and
// never stored, not by the number; the number is held only in the
// messages waiting, until each is answered.
type inbox struct {
	key [32]byte

	mu      sync.Mutex
	lines   map[[32]byte]*line
	idle    *sync.Cond // broadcast when lines empties
	closed  bool
	dropped int // messages left unanswered at shutdown
}

// line is one resident's messages not yet handled, oldest first. The one
// being handled has already left it. While msgs[0] waits for its sender's
// stretch, leave gives up that place and timer drops it after MaxWait.
type line struct {
	msgs  []waiting
	leave func() bool
	timer *time.Timer
}

// waiting is a message queued for the engine.
type waiting struct {
	from string // E.164; only while the message waits
	text string
}

func newInbox() *inbox {
	b := &inbox{lines: map[[32]byte]*line{}}
	if _, err := rand.Read(b.key[:]); err != nil {
		panic("twilio: no randomness for the inbox key: " + err.Error())
	}
	b.idle = sync.NewCond(&b.mu)
	return b
}

func (b *inbox) tag(number string) [32]byte {
	m := hmac.New(sha256.New, b.key[:])
	m.Write([]byte(number))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// endLocked removes tag's line; the caller holds b.mu.
func (b *inbox) endLocked(tag [32]byte) {
	delete(b.lines, tag)
	if len(b.lines) == 0 {
		b.idle.Broadcast()
	}
}

// converse takes a message for the engine. A resident whose identities are
// in memory and who has nothing else in progress is answered at once, in
// the webhook's TwiML. Anyone else gets an empty acknowledgment now and
// their reply through the REST API once their turn comes: a first message
// waits for its identity stretch in arrival order behind the other
// newcomers, a later one behind the resident's own earlier messages. A
// newcomer the admission queue cannot take is told at once, in TwiML, when
// to write again, and nothing else is done. It reports false if it failed
// (500): Twilio's retry should be taken.
func (ch *Channel) converse(w http.ResponseWriter, from, text string, now time.Time) bool {
	b := ch.inbox
	tag := b.tag(from)
	ids, cached := ch.c.IDs.Cached(from, now)
	b.mu.Lock()
	if l, ok := b.lines[tag]; ok {
		l.msgs = append(l.msgs, waiting{from: from, text: text})
		b.mu.Unlock()
		writeTwiML(w, "")
		return true
	}
	if b.closed {
		b.mu.Unlock()
		ch.c.Log.Warn(ch.c.Kind.Name + ": message not handled, shutting down")
		writeTwiML(w, "")
		return true
	}
	l := &line{}
	b.lines[tag] = l
	if cached {
		b.mu.Unlock()
		reply := ch.handle(from, text, ids, now)
		ch.release(tag, l)
		if reply.Repeat {
			writeTwiML(w, "")
			return true
		}
		writeTwiML(w, conversations.Render(reply))
		return true
	}
	l.msgs = []waiting{{from: from, text: text}}
	err := ch.waitLocked(tag, l, from, now)
	if err == nil {
		b.mu.Unlock()
		writeTwiML(w, "")
		return true
	}
	b.endLocked(tag)
	b.mu.Unlock()
	var busy *identity.BusyError
	if !errors.As(err, &busy) {
		ch.c.Log.Error(ch.c.Kind.Name + " webhook: cannot identify sender")
		http.Error(w, "try again", http.StatusInternalServerError)
		return false
	}
	ch.c.Log.Info(ch.c.Kind.Name + " webhook: busy, newcomer told to write later")
	writeTwiML(w, ch.busyText(from, text, busy, now))
	return true
}

// waitLocked queues l's first message for its sender's stretch; the caller
// holds b.mu. When the stretch is done, the line goes on in a goroutine of
// its own; after MaxWait it is dropped unstretched.
func (ch *Channel) waitLocked(tag [32]byte, l *line, from string, now time.Time) error {
	leave, err := ch.c.IDs.AdmitAsync(from, now, func() { go ch.resume(tag, l) })
	if err != nil {
		return err
	}
	l.leave = leave
	l.timer = time.AfterFunc(ch.c.MaxWait, func() { ch.expire(tag, l) })
	return nil
}

// release ends the handling of a message in the webhook: the line ends if
// nothing came meanwhile, else goes on in the background.
func (ch *Channel) release(tag [32]byte, l *line) {
	b := ch.inbox
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(l.msgs) == 0 {
		b.endLocked(tag)
		return
	}
	go ch.next(tag, l)
}

// resume goes on with l once its sender's identities are cached.
func (ch *Channel) resume(tag [32]byte, l *line) {
	b := ch.inbox
	b.mu.Lock()
	if l.timer != nil {
		l.timer.Stop()
	}
	l.leave, l.timer = nil, nil
	b.mu.Unlock()
	ch.next(tag, l)
}

// expire drops l's first message if it still waits for a stretch that has
// not started after MaxWait: the admission estimate was wrong, so instead
// of an answer that comes too late its sender is told, without a stretch,
// that the line is busy.
func (ch *Channel) expire(tag [32]byte, l *line) {
	b := ch.inbox
	b.mu.Lock()
	if l.leave == nil || !l.leave() {
		b.mu.Unlock()
		return // resumed, or stretching now: resume comes
	}
	l.leave, l.timer = nil, nil
	m := l.msgs[0]
	l.msgs[0] = waiting{}
	l.msgs = l.msgs[1:]
	b.mu.Unlock()
	ch.c.Log.Warn(ch.c.Kind.Name + ": message not answered, its sender waited too long; told the line is busy")
	ch.send(m.from, "busy", ch.busyText(m.from, m.text, &identity.BusyError{RetryAfter: ch.c.MaxWait}, ch.c.Now()))
	ch.next(tag, l)
}

// next answers l's messages in order until none is left (then the line
// ends) or one must wait for a stretch (then resume goes on later).
func (ch *Channel) next(tag [32]byte, l *line) {
	b := ch.inbox
	for {
		b.mu.Lock()
		if b.closed {
			b.dropped += len(l.msgs)
			l.msgs = nil
		}
		if len(l.msgs) == 0 {
			b.endLocked(tag)
			b.mu.Unlock()
			return
		}
		m := l.msgs[0]
		now := ch.c.Now()
		ids, ok := ch.c.IDs.Cached(m.from, now)
		if !ok {
			// Swept or re-keyed since: wait again, first in this line.
			err := ch.waitLocked(tag, l, m.from, now)
			if err == nil {
				b.mu.Unlock()
				return
			}
			l.msgs[0] = waiting{}
			l.msgs = l.msgs[1:]
			b.mu.Unlock()
			var busy *identity.BusyError
			if errors.As(err, &busy) {
				ch.send(m.from, "busy", ch.busyText(m.from, m.text, busy, now))
			} else {
				ch.c.Log.Error(ch.c.Kind.Name + ": cannot identify sender")
			}
			continue
		}
		l.msgs[0] = waiting{}
		l.msgs = l.msgs[1:]
		b.mu.Unlock()
		if reply := ch.handle(m.from, m.text, ids, now); !reply.Repeat {
			ch.send(m.from, "reply", conversations.Render(reply))
		}
	}
}

// handle runs one message through the engine and queues its effects.
func (ch *Channel) handle(from, text string, ids []scheduling.Identity, now time.Time) conversations.Reply {
	reply := ch.c.Engine.Handle(conversations.Inbound{
		Identity: ids[0],
		Aliases:  ids[1:],
		Text:     text,
		// A channel of templated reminders offers one only in a language
		// it has a template for; the language is looked up only then.
		Reminders: ch.c.Kind.Templates == nil || ch.Reminds(ch.language(from, text, now)),
	}, now)
	ch.effects(from, reply, now)
	return reply
}

// send queues a message to a resident through the REST API.
func (ch *Channel) send(to, kind, text string) {
	if text == "" {
		return
	}
	for _, part := range Split(text) {
		ch.queue.add(job{kind: kind, key: to, run: func() error { return ch.c.Provider.Send(ch.addr(to), part) }})
	}
}

// busyText tells a newcomer the line is busy and when to write again, in
// their language as far as it is known without their identities.
func (ch *Channel) busyText(from, text string, busy *identity.BusyError, now time.Time) string {
	minutes := int(math.Ceil(busy.RetryAfter.Minutes()))
	minutes = max(minutes, 1)
	lang := ch.language(from, text, now)
	s, err := ch.c.Texts.Count(lang, "busy", minutes, nil)
	if err != nil {
		ch.c.Log.Error(ch.c.Kind.Name+": message text", "id", "busy", "lang", lang, "err", err)
		return ""
	}
	return s
}

// waitIdle waits until no message is being handled or waits.
func (b *inbox) waitIdle() {
	b.mu.Lock()
	for len(b.lines) > 0 {
		b.idle.Wait()
	}
	b.mu.Unlock()
}

// close refuses new lines, gives up the places of the messages waiting for
// a stretch, waits for the lines being handled to end, and returns how
// many messages were left unanswered.
func (b *inbox) close() int {
	b.mu.Lock()
	b.closed = true
	for tag, l := range b.lines {
		if l.leave != nil && l.leave() {
			l.timer.Stop()
			l.leave, l.timer = nil, nil
			b.dropped += len(l.msgs)
			l.msgs = nil
			b.endLocked(tag)
		}
	}
	b.mu.Unlock()
	b.waitIdle()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
