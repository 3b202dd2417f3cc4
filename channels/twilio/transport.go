package twilio

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Rewrite is a RoundTripper that sends every request to Base (scheme and
// host) instead of the host it names. twilio-go has no setting for its API
// base URL, so this is how a test server, or TWILIO_API_BASE, stands in for
// https://api.twilio.com.
type Rewrite struct {
	Base *url.URL
	Next http.RoundTripper // http.DefaultTransport when nil
}

// RoundTrip implements http.RoundTripper.
func (rw *Rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = rw.Base.Scheme
	r.URL.Host = rw.Base.Host
	r.Host = rw.Base.Host
	next := rw.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

// HTTPClient returns the HTTP client for Twilio's REST API: a timeout on
// every call (the SDK takes no context), no redirects followed, and when
// apiBase is set (e.g. http://127.0.0.1:8099) every request sent there.
func HTTPClient(apiBase string, timeout time.Duration) (*http.Client, error) {
	hc := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if apiBase == "" {
		return hc, nil
	}
	u, err := url.Parse(apiBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("twilio API base %q: want a URL like http://127.0.0.1:8099", apiBase)
	}
	hc.Transport = &Rewrite{Base: u}
	return hc, nil
}
