package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cita-city/cita/channels/twilio"
	"github.com/cita-city/cita/channels/voice"
	"github.com/cita-city/cita/identity"
)

// phone is the phone channel and what its jobs need.
type phone struct {
	ch    *voice.Channel
	calls voice.CallLog // Twilio's call records, for the redact job
	after time.Duration // CITA_REDACT_AFTER
	log   *slog.Logger
}

// voiceChannel builds the phone channel when the Twilio credentials are
// set (the same as SMS): nil, nil when they are not.
func (m *Main) voiceChannel(a *app, c Config, log *slog.Logger) (*phone, error) {
	tc, ok, err := m.twilioEnv()
	if err != nil || !ok {
		return nil, err
	}
	if c.PublicURL == "" {
		return nil, fail("TWILIO_ACCOUNT_SID is set but CITA_PUBLIC_URL (--public-url) is not: Twilio signs webhooks over the public URL, so it must be known")
	}
	ch, err := m.newVoice(a, tc.AuthToken, c.PublicURL, log)
	if err != nil {
		return nil, err
	}
	hc, err := twilio.HTTPClient(tc.APIBase, twilioTimeout)
	if err != nil {
		return nil, fail("TWILIO_API_BASE: %v", err)
	}
	hc.Transport = countedTransport{provider: "twilio", next: hc.Transport}
	return &phone{ch: ch, calls: voice.NewTwilioCalls(tc.AccountSID, tc.AuthToken, hc), after: tc.RedactAfter, log: log}, nil
}

func (m *Main) newVoice(a *app, token, publicURL string, log *slog.Logger) (*voice.Channel, error) {
	voices, err := m.voices(a.program.Languages)
	if err != nil {
		return nil, err
	}
	ch, err := voice.New(voice.Config{
		Engine:       a.engine,
		IDs:          a.hasher,
		Appointments: a.bookings,
		Normalize:    identity.NormalizeSender, // From is as the carrier delivered it
		Texts:        a.catalog,
		Program:      a.program,
		AuthToken:    token,
		PublicURL:    publicURL,
		Now:          m.Now,
		Log:          log,
		Voices:       voices,
	})
	if err != nil {
		return nil, fail("%v", err)
	}
	return ch, nil
}

// voices reads CITA_VOICE_<LANG> (e.g. CITA_VOICE_ES=es-MX:Polly.Mia-Neural,
// or just a language tag for Twilio's default voice of it): the voice a
// language is read in, over voice.DefaultVoices.
func (m *Main) voices(langs []string) (map[string]voice.Voice, error) {
	out := map[string]voice.Voice{}
	for _, l := range langs {
		name := "CITA_VOICE_" + strings.ToUpper(l)
		v := m.env(name, "")
		if v == "" {
			continue
		}
		tag, who, _ := strings.Cut(v, ":")
		if tag == "" {
			return nil, fail("%s=%q: want LANGUAGE[:VOICE], e.g. es-MX:Polly.Mia-Neural", name, v)
		}
		out[l] = voice.Voice{Language: tag, Name: who}
	}
	return out, nil
}

// registerVoice serves the phone channel's webhooks, sweeps the state of
// calls that ended without saying so, and deletes call records at Twilio
// older than CITA_REDACT_AFTER (P5).
func registerVoice(mux *http.ServeMux, jobs *cron.Cron, p *phone, now func() time.Time) error {
	if p == nil {
		return nil
	}
	mux.Handle(voice.Path, p.ch)
	mux.Handle(voice.Path+"/", p.ch)
	if _, err := jobs.AddFunc("@every 1m", timedJob("voice-sweep", func() { p.ch.Sweep(now()) })); err != nil {
		return fmt.Errorf("schedule voice sweep: %w", err)
	}
	if _, err := jobs.AddFunc("@every 10m", timedJob("voice-redact", func() {
		if _, err := voice.Redact(p.calls, now(), p.after, p.log); err != nil {
			p.log.Error("voice redact", "err", err)
		}
	})); err != nil {
		return fmt.Errorf("schedule voice redact: %w", err)
	}
	return nil
}

// chatVoice is `bot chat --channel voice`: what a caller would hear, one
// sentence a line with its language, and the keys typed as digits (*
// repeats, 0 is the main menu, an empty line is silence).
func (m *Main) chatVoice(ctx context.Context, c Config, as string) error {
	a, err := m.open(c, m.logger())
	if err != nil {
		return err
	}
	defer a.Close()
	ch, err := m.newVoice(a, "unused: no webhooks in chat", "http://localhost", m.logger())
	if err != nil {
		return err
	}
	const sid = "chat"
	interactive := isTerminal(m.Stdin)
	if interactive {
		fmt.Fprintln(m.Stderr, "You are a resident calling the city. Type the keys you press and Enter (Ctrl-D hangs up).")
	}
	hear := func(p voice.Prompt) voice.Prompt {
		for p.Wait {
			time.Sleep(50 * time.Millisecond) // Twilio's one-second <Pause>, shortened
			p = ch.Wait(sid, p.Step, m.Now())
		}
		for _, s := range p.Says {
			fmt.Fprintf(m.Stdout, "(%s) %s\n", s.Lang, s.Text)
		}
		if p.Hangup {
			fmt.Fprintln(m.Stdout, "(the call ends)")
		}
		fmt.Fprintln(m.Stdout)
		return p
	}
	p := hear(ch.Start(sid, as, m.Now()))
	lines := bufio.NewScanner(m.Stdin)
	for !p.Hangup && ctx.Err() == nil {
		if interactive {
			fmt.Fprint(m.Stdout, "keys> ")
		}
		if !lines.Scan() {
			break
		}
		keys := strings.TrimSpace(lines.Text())
		if !interactive {
			fmt.Fprintf(m.Stdout, "> %s\n", keys)
		}
		p = hear(ch.Press(sid, p.Step, keys, m.Now()))
	}
	ch.End(sid)
	if err := lines.Err(); err != nil {
		return fail("read stdin: %v", err)
	}
	return nil
}
