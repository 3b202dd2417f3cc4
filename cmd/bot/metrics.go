package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cita-city/cita/conversations"
	"github.com/cita-city/cita/identity"
	"github.com/cita-city/cita/scheduling"
)

// The metrics of `bot serve`, served at GET /metrics from a registry of
// their own. P3: every label value comes from a fixed set named here (a
// channel, a status class, an effect kind, a job name), never from a
// request, so no number, chat id, code or text can reach a scrape.
var (
	webhookRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_webhook_requests_total",
		Help: "HTTP requests by channel (sms, telegram, local, clerk) and outcome (status class).",
	}, []string{"channel", "outcome"})
	webhookSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cita_webhook_duration_seconds",
		Help:    "Time to answer an HTTP request, by channel and outcome.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"channel", "outcome"})
	webhookInFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cita_webhook_in_flight",
		Help: "HTTP requests being answered now, by channel: what a restart would have to wait for.",
	}, []string{"channel"})
	bookingEffects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_bookings_total",
		Help: "Changes to appointments made through conversations, by kind (booked, moved, cancelled, forgotten).",
	}, []string{"kind"})
	providerRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_provider_requests_total",
		Help: "REST calls to a messaging provider by provider and outcome (status class, or error); retries count as calls.",
	}, []string{"provider", "outcome"})
	providerRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_provider_retries_total",
		Help: "Calls to a messaging provider that failed for a reason that may pass (429, 5xx, timeout) and will be tried again, by provider.",
	}, []string{"provider"})
	providerFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_provider_failures_total",
		Help: "Calls to a messaging provider given up (refused, or still failing after every retry), by provider; each is also logged.",
	}, []string{"provider"})
	jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cita_job_runs_total",
		Help: "Scheduled job runs by job.",
	}, []string{"job"})
	jobSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cita_job_duration_seconds",
		Help: "Scheduled job run time by job.",
	}, []string{"job"})

	// The admission queue of identity stretches (see README, Surges).
	admissionQueue = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cita_admission_queue_length",
		Help: "Residents (and clerk look-ups) waiting for an identity stretch.",
	})
	admissionWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "cita_admission_wait_seconds",
		Help:    "Time a resident's first message waited in the admission queue before its stretch started.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
	})
	admissionBusy = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cita_admission_busy_total",
		Help: "Residents turned away with the busy reply: their wait would have passed CITA_ADMISSION_WAIT.",
	})
	identityStretches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cita_identity_stretches_total",
		Help: "argon2id identity stretches run.",
	})
)

// admissionObserver feeds the admission metrics; it carries no labels.
func admissionObserver() identity.Observer {
	return identity.Observer{
		Queue:   func(n int) { admissionQueue.Set(float64(n)) },
		Waited:  func(d time.Duration) { admissionWait.Observe(d.Seconds()) },
		Busy:    admissionBusy.Inc,
		Stretch: identityStretches.Inc,
	}
}

// effectKinds are the label values of cita_bookings_total.
var effectKinds = []string{"booked", "moved", "cancelled", "forgotten"}

// providers are the label values of the provider metrics.
var providers = []string{"twilio", "telegram"}

// channels are the label values of the request metrics, by path prefix.
var channels = []struct{ prefix, name string }{
	{"/webhooks/twilio/voice", "voice"}, // before the SMS prefix it shares
	{"/webhooks/twilio/", "sms"},
	{"/webhooks/telegram", "telegram"},
	{"/local/", "local"},
	{"/clerk/", "clerk"},
}

// newRegistry returns a registry holding cita's metrics and the Go runtime
// and process collectors (which carry no resident data).
func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(webhookRequests, webhookSeconds, webhookInFlight, bookingEffects, providerRequests, providerRetries, providerFailures, jobRuns, jobSeconds,
		admissionQueue, admissionWait, admissionBusy, identityStretches,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Zero series exist from the start, so a scrape names every metric.
	for _, k := range effectKinds {
		bookingEffects.WithLabelValues(k)
	}
	for _, p := range providers {
		providerRetries.WithLabelValues(p)
		providerFailures.WithLabelValues(p)
	}
	return r
}

// metricsHandler serves the registry (GET /metrics).
func metricsHandler(r *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(r, promhttp.HandlerOpts{})
}

// instrument counts and times every request to a channel or the clerk web
// by channel and status class. Other paths (healthz, metrics) pass through.
func instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		channel := ""
		for _, c := range channels {
			if strings.HasPrefix(r.URL.Path, c.prefix) {
				channel = c.name
				break
			}
		}
		if channel == "" {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		inFlight := webhookInFlight.WithLabelValues(channel)
		inFlight.Inc()
		defer func() {
			inFlight.Dec()
			outcome := statusClass(sw.status)
			webhookRequests.WithLabelValues(channel, outcome).Inc()
			webhookSeconds.WithLabelValues(channel, outcome).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

func statusClass(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code/100) + "xx"
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countedBookings counts the appointment changes the engine makes.
type countedBookings struct {
	conversations.Bookings
}

func (b countedBookings) Book(id scheduling.Identity, lang, office string, start time.Time, party int, now time.Time) (scheduling.Appointment, error) {
	a, err := b.Bookings.Book(id, lang, office, start, party, now)
	if err == nil {
		bookingEffects.WithLabelValues("booked").Inc()
	}
	return a, err
}

func (b countedBookings) Reschedule(ids []scheduling.Identity, office string, start time.Time, party int, now time.Time) (scheduling.Appointment, error) {
	a, err := b.Bookings.Reschedule(ids, office, start, party, now)
	if err == nil {
		bookingEffects.WithLabelValues("moved").Inc()
	}
	return a, err
}

func (b countedBookings) Cancel(ids []scheduling.Identity, now time.Time) (scheduling.Appointment, error) {
	a, err := b.Bookings.Cancel(ids, now)
	if err == nil {
		bookingEffects.WithLabelValues("cancelled").Inc()
	}
	return a, err
}

func (b countedBookings) Forget(ids []scheduling.Identity, now time.Time) (scheduling.Appointment, bool, error) {
	a, ok, err := b.Bookings.Forget(ids, now)
	if err == nil && ok {
		bookingEffects.WithLabelValues("forgotten").Inc()
	}
	return a, ok, err
}

// timedJob counts and times each run of a scheduled job.
func timedJob(name string, run func()) func() {
	return func() {
		start := time.Now()
		defer func() {
			jobRuns.WithLabelValues(name).Inc()
			jobSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}()
		run()
	}
}

// providerAttempt is the channels' OnAttempt: it counts retries and calls
// given up. provider is "twilio" or "telegram" and outcome one of the
// channels' fixed outcomes: nothing from a request reaches a label.
func providerAttempt(provider, outcome string, retry bool) {
	switch {
	case retry:
		providerRetries.WithLabelValues(provider).Inc()
	case outcome != "ok":
		providerFailures.WithLabelValues(provider).Inc()
	}
}

// countedTransport counts a provider's REST calls by outcome.
type countedTransport struct {
	provider string
	next     http.RoundTripper // nil: http.DefaultTransport
}

func (t countedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	outcome := "error"
	if err == nil {
		outcome = statusClass(resp.StatusCode)
	}
	providerRequests.WithLabelValues(t.provider, outcome).Inc()
	return resp, err
}
