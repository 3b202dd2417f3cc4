package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cita-city/cita/channels/local"
	"github.com/cita-city/cita/channels/sms"
	"github.com/cita-city/cita/identity"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	var c Config
	fs := m.flagSet("serve", &c)
	fs.StringVar(&c.Addr, "addr", m.env("CITA_ADDR", c.Addr), "listen address (env CITA_ADDR)")
	fs.StringVar(&c.LocalToken, "local-token", m.env("CITA_LOCAL_TOKEN", ""), "token that opens the local chat channel without --dev (env CITA_LOCAL_TOKEN)")
	fs.StringVar(&c.PublicURL, "public-url", m.env("CITA_PUBLIC_URL", ""), "public base URL of this server, for webhook signatures (env CITA_PUBLIC_URL)")
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
		defer smsCh.Close() // runs after srv.Shutdown: finishes queued Twilio calls
		mux.Handle(sms.Path, smsCh)
	}
	clerkWeb, err := m.clerkHandler(a, c, log, smsCh)
	if err != nil {
		return err
	}
	mux.Handle("/clerk/", clerkWeb)
	mux.Handle("/lobby/", clerkWeb)
	mux.Handle("GET /metrics", metricsHandler(newRegistry()))
	tg, err := m.telegramChannel(a, c, log)
	if err != nil {
		return err
	}

	jobs := cron.New(cron.WithLocation(a.program.Location), cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})))
	// Interval jobs are DST-safe: they name no wall-clock time.
	if _, err := jobs.AddFunc("@every 1m", timedJob("sweep", func() {
		now := m.Now()
		sessions, hashes, marks := a.engine.Sweep(now), a.hasher.Sweep(now), smsCh.Sweep(now)
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
	if err := m.scheduleRetention(jobs, a, log); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fail("listen on %s: %v", c.Addr, err)
	}
	stopTelegram := func(context.Context) {}
	if tg != nil {
		if stopTelegram, err = m.startTelegram(ctx, tg, mux, log); err != nil {
			ln.Close()
			return err
		}
	}
	srv := &http.Server{
		Handler:           instrument(mux),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      20 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	jobs.Start()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("cita serving", "addr", ln.Addr().String(), "program", a.program.Name, "data", c.Data,
		"sms", smsCh != nil, "telegram", tg != nil)
	if c.Dev || c.LocalToken != "" {
		fmt.Fprintf(m.Stderr, "\nTalk to it as a resident from another terminal:\n  bot chat --server http://%s --as \"(312) 555-0199\"\n\n", dialable(ln.Addr()))
	}

	select {
	case err := <-errc:
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopTelegram(stopCtx)
		<-jobs.Stop().Done()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopTelegram(shutCtx)
	<-jobs.Stop().Done()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// dialable turns a listen address like [::]:8080 into one a client can use.
func dialable(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return addr.String()
}
