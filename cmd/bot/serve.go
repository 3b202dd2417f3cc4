package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cita-city/cita/channels/local"
	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/channels/twilio"
	"github.com/cita-city/cita/channels/whatsapp"
	"github.com/cita-city/cita/identity"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("serve", &c)
	fs.StringVar(&c.Addr, "addr", m.env("CITA_ADDR", c.Addr), "listen address (env CITA_ADDR)")
	fs.StringVar(&c.LocalToken, "local-token", m.env("CITA_LOCAL_TOKEN", ""), "token that opens the local chat channel without --dev (env CITA_LOCAL_TOKEN)")
	fs.StringVar(&c.PublicURL, "public-url", m.env("CITA_PUBLIC_URL", ""), "public base URL of this server, for webhook signatures (env CITA_PUBLIC_URL)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", m.env("CITA_METRICS_ADDR", ""), "serve GET /metrics only on this address, not on --addr (env CITA_METRICS_ADDR)")
	c.MaxConns = int(m.envUint32("CITA_MAX_CONNS", 0))
	c.BodyBudgetMiB = m.envUint32("CITA_BODY_BUDGET_MIB", defaultBodyBudgetMiB)
	fs.Var((*intValue)(&c.MaxConns), "max-conns", "most client connections open at once (env CITA_MAX_CONNS; default 4096, less if the open-file limit is lower)")
	fs.Var((*uint32Value)(&c.BodyBudgetMiB), "body-budget-mib", "MiB of request bodies held in memory at once, over all requests (env CITA_BODY_BUDGET_MIB)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := m.logger()
	a, err := m.open(c, log)
	if err != nil {
		return err
	}
	defer a.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	if c.Dev || c.LocalToken != "" {
		resident := &local.Resident{Engine: a.engine, IDs: a.hasher, Normalize: identity.NormalizePhone, Region: a.program.Region}
		mux.Handle("/local/chat", local.Handler(resident, c.LocalToken, m.Now))
	}
	smsCh, err := m.smsChannel(a, c, log)
	if err != nil {
		return err
	}
	if smsCh != nil {
		mux.Handle(sms.Path, smsCh)
	}
	waCh, err := m.whatsappChannel(a, c, log)
	if err != nil {
		return err
	}
	if waCh != nil {
		mux.Handle(whatsapp.Path, waCh)
	}
	voiceCh, err := m.voiceChannel(a, c, log)
	if err != nil {
		return err
	}
	clerkWeb, err := m.clerkHandler(a, c, log, smsCh)
	if err != nil {
		return err
	}
	mux.Handle("/clerk/", clerkWeb)
	mux.Handle("/lobby/", clerkWeb)
	reg := newRegistry()
	reg.MustRegister(limitCollectors()...)
	var metricsSrv *http.Server
	if c.MetricsAddr == "" {
		mux.Handle("GET /metrics", metricsHandler(reg))
	} else {
		// Off the public listener: the public address answers 404.
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", metricsHandler(reg))
		metricsSrv = &http.Server{Handler: mm, ReadHeaderTimeout: headerTimeout, ReadTimeout: readTimeout,
			WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes}
	}
	tg, err := m.telegramChannel(a, c, log)
	if err != nil {
		return err
	}

	jobs := cron.New(cron.WithLocation(a.program.Location), cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})))
	// Interval jobs are DST-safe: they name no wall-clock time.
	if _, err := jobs.AddFunc("@every 1m", timedJob("sweep", func() {
		now := m.Now()
		sessions, hashes, marks := a.engine.Sweep(now), a.hasher.Sweep(now), smsCh.Sweep(now)+waCh.Sweep(now)
		if n, err := a.store.PurgeDeliveries(now); err != nil {
			log.Error("sweep: dedupe marks", "err", err)
		} else {
			marks += n
		}
		if tg != nil {
			tg.Sweep(now)
		}
		if sessions+hashes+marks > 0 {
			log.Info("sweep", "sessions", sessions, "cached_hashes", hashes, "dedupe_marks", marks)
		}
	})); err != nil {
		return fmt.Errorf("schedule sweep: %w", err)
	}
	// Redaction and reconciliation cover the whole account, WhatsApp's
	// messages and reminders too (WhatsApp is on only with SMS).
	if smsCh != nil {
		after := m.redactAfter()
		if _, err := jobs.AddFunc("@every 10m", timedJob("redact", func() {
			if _, err := smsCh.Redact(m.Now(), after); err != nil {
				log.Error("redact", "err", err)
			}
		})); err != nil {
			return fmt.Errorf("schedule redact: %w", err)
		}
	}
	scheduleReconcile(ctx, jobs, smsCh, a.store, log)
	if err := registerVoice(mux, jobs, voiceCh, m.Now); err != nil {
		return err
	}
	if err := m.scheduleRetention(jobs, a, log); err != nil {
		return err
	}

	maxConns, lowered := maxConnsFor(c.MaxConns, openFileLimit())
	if lowered {
		log.Warn("connection limit lowered to fit the open-file limit", "max_conns", maxConns, "open_file_limit", openFileLimit())
	}
	tcp, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fail("listen on %s: %v", c.Addr, err)
	}
	ln := newConnLimiter(tcp, maxConns)
	var metricsLn net.Listener
	if metricsSrv != nil {
		if metricsLn, err = net.Listen("tcp", c.MetricsAddr); err != nil {
			ln.Close()
			return fail("listen on %s (CITA_METRICS_ADDR): %v", c.MetricsAddr, err)
		}
	}
	// stopTelegram ends the Telegram channel by its context's deadline.
	stopTelegram := func(context.Context) {}
	if tg != nil {
		stop, err := m.startTelegram(ctx, tg, mux, log)
		if err != nil {
			ln.Close()
			if metricsLn != nil {
				metricsLn.Close()
			}
			return err
		}
		stopTelegram = stop
	}
	var handler http.Handler = instrument(newBodyLimit(mux, int64(c.BodyBudgetMiB)<<20))
	if strings.HasPrefix(c.PublicURL, "https://") {
		handler = hsts(handler)
		if metricsSrv != nil {
			metricsSrv.Handler = hsts(metricsSrv.Handler)
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         ln.connState,
		ConnContext:       connContext,
	}
	jobs.Start()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if metricsSrv != nil {
		go func() { errc <- metricsSrv.Serve(metricsLn) }()
	}
	log.Info("cita serving", "addr", ln.Addr().String(), "program", a.program.Name, "data", c.Data,
		"sms", smsCh != nil, "whatsapp", waCh != nil, "telegram", tg != nil, "max_conns", maxConns, "metrics_addr", c.MetricsAddr)
	if c.Dev || c.LocalToken != "" {
		fmt.Fprintf(m.Stderr, "\nTalk to it as a resident from another terminal:\n  bot chat --server http://%s --as \"(312) 555-0199\"\n\n", dialable(ln.Addr()))
	}

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	shutdown(log, time.Now(), srv, metricsSrv, jobs, []*twilio.Channel{smsCh, waCh}, stopTelegram)
	if serveErr != nil {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

// The parts of the shutdown, from the signal. The whole ends within
// shutdownGrace; the README promises 5 s.
const (
	shutdownGrace = 4 * time.Second
	// httpGrace: requests in flight are answered; then connections are cut.
	httpGrace = 3 * time.Second
)

// shutdown stops the server within shutdownGrace of began, whatever the
// providers do: it stops taking requests, answers those in flight, then
// gives the Twilio queue, the Telegram sender and the running jobs the
// time left. What they could not finish is logged as a count, never as
// what it was (P3); the reminder reconciliation picks up reminders left at
// Twilio.
func shutdown(log *slog.Logger, began time.Time, srv, metricsSrv *http.Server, jobs *cron.Cron, twilioChs []*twilio.Channel, stopTelegram func(context.Context)) {
	log.Info("shutting down")
	deadline := began.Add(shutdownGrace)
	httpCtx, cancel := context.WithDeadline(context.Background(), began.Add(httpGrace))
	defer cancel()
	if metricsSrv != nil {
		go metricsSrv.Shutdown(httpCtx)
	}
	if err := srv.Shutdown(httpCtx); err != nil {
		srv.Close()
		log.Warn("shutdown: connections cut with requests still in flight")
	}

	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var wg sync.WaitGroup
	for _, ch := range twilioChs {
		if ch == nil {
			continue
		}
		wg.Go(func() {
			if left := ch.Shutdown(ctx); left > 0 {
				log.Warn("shutdown: twilio calls left undone", "jobs", left)
			}
		})
	}
	wg.Go(func() {
		if !waitUntil(ctx, func() { stopTelegram(ctx) }) {
			log.Warn("shutdown: telegram sender still busy, left undone")
		}
	})
	wg.Go(func() {
		if !waitUntil(ctx, func() { <-jobs.Stop().Done() }) {
			log.Warn("shutdown: a scheduled job was still running, left to its next run")
		}
	})
	wg.Wait()
	log.Info("shut down", "seconds", time.Since(began).Seconds())
}

// waitUntil runs f and waits for it to return or ctx to be done; it
// reports whether f returned. An f still running is abandoned: the process
// is about to exit.
func waitUntil(ctx context.Context, f func()) bool {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// dialable turns a listen address like [::]:8080 into one a client can use.
func dialable(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return addr.String()
}
