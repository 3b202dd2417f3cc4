package sms

import (
	"context"
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
// being handled has already left it.
type line struct {
	msgs []waiting
}

// waiting is a message queued for the engine.
type waiting struct {
	from string // E.164; only while the message waits
	text string
}

func newInbox() *inbox {
	b := &inbox{lines: map[[32]byte]*line{}}
	if _, err := rand.Read(b.key[:]); err != nil {
		panic("sms: no randomness for the inbox key: " + err.Error())
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

// converse takes a message for the engine. A resident whose identities are
// in memory and who has nothing else in progress is answered at once, in
// the webhook's TwiML. Anyone else gets an empty acknowledgment now and
// their reply through the REST API once their turn comes: a first message
// waits for its identity stretch in arrival order behind the other
// newcomers (identity.Hasher.Admit), a later one behind the resident's own
// earlier messages. A newcomer the admission queue cannot take is told at
// once, in TwiML, when to write again, and nothing else is done.
func (ch *Channel) converse(w http.ResponseWriter, from, text string, now time.Time) {
	b := ch.inbox
	tag := b.tag(from)
	ids, cached := ch.c.IDs.Cached(from, now)
	b.mu.Lock()
	if l, ok := b.lines[tag]; ok {
		l.msgs = append(l.msgs, waiting{from: from, text: text})
		b.mu.Unlock()
		writeTwiML(w, "")
		return
	}
	if b.closed {
		b.mu.Unlock()
		ch.c.Log.Warn("sms: message not handled, shutting down")
		writeTwiML(w, "")
		return
	}
	if cached {
		l := &line{}
		b.lines[tag] = l
		b.mu.Unlock()
		reply := ch.handle(from, text, ids, now)
		ch.release(tag, l)
		if reply.Repeat {
			writeTwiML(w, "")
			return
		}
		writeTwiML(w, conversations.Render(reply))
		return
	}
	err := ch.c.IDs.Check(from, now)
	if err == nil {
		l := &line{msgs: []waiting{{from: from, text: text}}}
		b.lines[tag] = l
		b.mu.Unlock()
		go ch.drain(tag, l)
		writeTwiML(w, "")
		return
	}
	b.mu.Unlock()
	var busy *identity.BusyError
	if !errors.As(err, &busy) {
		ch.c.Log.Error("sms webhook: cannot identify sender")
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	ch.c.Log.Info("sms webhook: busy, newcomer told to write later")
	writeTwiML(w, ch.busyText(from, text, busy, now))
}

// handle runs one message through the engine and queues its effects.
func (ch *Channel) handle(from, text string, ids []scheduling.Identity, now time.Time) conversations.Reply {
	reply := ch.c.Engine.Handle(conversations.Inbound{
		Identity:  ids[0],
		Aliases:   ids[1:],
		Text:      text,
		Reminders: true,
	}, now)
	ch.effects(from, reply, now)
	return reply
}

// release ends the handling of a message of tag's resident: the line goes
// if it is empty, else its next message is handled in the background.
func (ch *Channel) release(tag [32]byte, l *line) {
	b := ch.inbox
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(l.msgs) > 0 {
		go ch.drain(tag, l)
		return
	}
	delete(b.lines, tag)
	if len(b.lines) == 0 {
		b.idle.Broadcast()
	}
}

// drain answers the messages of l in order until none is left.
func (ch *Channel) drain(tag [32]byte, l *line) {
	b := ch.inbox
	for {
		b.mu.Lock()
		if len(l.msgs) == 0 {
			delete(b.lines, tag)
			if len(b.lines) == 0 {
				b.idle.Broadcast()
			}
			b.mu.Unlock()
			return
		}
		m := l.msgs[0]
		l.msgs[0] = waiting{}
		l.msgs = l.msgs[1:]
		if b.closed {
			b.dropped++
			b.mu.Unlock()
			continue
		}
		b.mu.Unlock()
		ch.answer(m)
	}
}

// answer handles a queued message: it waits for the resident's identities
// (at most MaxWait; a message older than that is dropped unstretched, as
// at shutdown), runs the engine and sends the reply through the REST API.
func (ch *Channel) answer(m waiting) {
	now := ch.c.Now()
	ids, ok := ch.c.IDs.Cached(m.from, now)
	if !ok {
		ctx, cancel := context.WithTimeout(ch.ctx, ch.c.MaxWait)
		var err error
		ids, err = ch.c.IDs.Admit(ctx, m.from, now)
		cancel()
		var busy *identity.BusyError
		switch {
		case errors.As(err, &busy):
			ch.c.Log.Info("sms: busy, newcomer told to write later")
			ch.send(m.from, "busy", ch.busyText(m.from, m.text, busy, now))
			return
		case errors.Is(err, context.Canceled):
			ch.inbox.mu.Lock()
			ch.inbox.dropped++
			ch.inbox.mu.Unlock()
			return
		case errors.Is(err, context.DeadlineExceeded):
			ch.c.Log.Warn("sms: message dropped, its sender waited too long")
			return
		case err != nil || len(ids) == 0:
			ch.c.Log.Error("sms: cannot identify sender")
			return
		}
		now = ch.c.Now()
	}
	reply := ch.handle(m.from, m.text, ids, now)
	if !reply.Repeat {
		ch.send(m.from, "reply", conversations.Render(reply))
	}
}

// send queues a message to a resident through the REST API.
func (ch *Channel) send(to, kind, text string) {
	if text == "" {
		return
	}
	ch.queue.add(job{kind: kind, key: to, run: func() error { return ch.c.Provider.Send(to, text) }})
}

// busyText tells a newcomer the line is busy and when to write again, in
// their language as far as it is known without their identities.
func (ch *Channel) busyText(from, text string, busy *identity.BusyError, now time.Time) string {
	minutes := int(math.Ceil(busy.RetryAfter.Minutes()))
	minutes = max(minutes, 1)
	lang := ch.language(from, text, now)
	s, err := ch.c.Texts.Count(lang, "busy", minutes, nil)
	if err != nil {
		ch.c.Log.Error("sms: message text", "id", "busy", "lang", lang, "err", err)
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

// close refuses new lines and drops what still waits once cancel has made
// the waiting Admits give up; it waits for the lines to end and returns
// how many messages were left unanswered.
func (b *inbox) close(cancel context.CancelFunc) int {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	cancel()
	b.waitIdle()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
