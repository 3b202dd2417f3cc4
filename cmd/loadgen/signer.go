package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
)

// sign returns the X-Twilio-Signature Twilio would send for a POST of
// params to fullURL: base64 of HMAC-SHA1, keyed with the auth token, over
// the URL followed by each parameter name and value, names sorted. It is
// written here from Twilio's description rather than taken from the bot or
// its fake, so that a mistake in either shows up as 403s under load.
func sign(token, fullURL string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(fullURL))
	for _, k := range names {
		for _, v := range params[k] {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
