package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shiyu-coder/kronos/sdk"
)

// Config defaults and bounds. The JSON Schema in schema.go states the same
// numbers; TestSchemaDefaults keeps them in step.
const (
	defaultMethod            = "GET"
	defaultTimeout           = 30 * time.Second
	maxTimeout               = 5 * time.Minute
	defaultMaxResponseBytes  = 64 << 10
	maxMaxResponseBytes      = 1 << 20
	defaultIdempotencyHeader = "Idempotency-Key"
	defaultExpectedStatus    = "2xx"
)

// methods are the HTTP methods the plugin sends. CONNECT and TRACE are left
// out: neither makes sense for a scheduled call.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// rawConfig is the task config as written.
type rawConfig struct {
	Method            string            `json:"method"`
	URL               string            `json:"url"`
	Headers           map[string]string `json:"headers"`
	Body              string            `json:"body"`
	Timeout           string            `json:"timeout"`
	ExpectedStatus    []json.RawMessage `json:"expected_status"`
	CaptureResponse   *bool             `json:"capture_response"`
	MaxResponseBytes  *int              `json:"max_response_bytes"`
	IdempotencyHeader *string           `json:"idempotency_header"`
}

// config is a validated config with its defaults filled in.
type config struct {
	Method            string
	URL               *url.URL // parsed, for checks and messages
	RawURL            string   // as written, for the request
	Headers           map[string]string
	Body              string
	Timeout           time.Duration
	Expected          statusSet
	CaptureResponse   bool
	MaxResponseBytes  int
	IdempotencyHeader string
}

// decodeConfig decodes and validates a task config, reporting every
// problem at once.
func decodeConfig(raw json.RawMessage) (config, error) {
	var rc rawConfig
	if err := sdk.DecodeConfig(raw, &rc); err != nil {
		return config{}, err
	}
	return rc.validate()
}

func (rc rawConfig) validate() (config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config."+field+": "+format, args...))
	}
	cfg := config{
		Method:            rc.Method,
		Headers:           rc.Headers,
		Body:              rc.Body,
		Timeout:           defaultTimeout,
		CaptureResponse:   true,
		MaxResponseBytes:  defaultMaxResponseBytes,
		IdempotencyHeader: defaultIdempotencyHeader,
	}

	if cfg.Method == "" {
		cfg.Method = defaultMethod
	} else if !validMethod(cfg.Method) {
		bad("method", "%q is not one of %s (methods are upper case)", rc.Method, strings.Join(methods, ", "))
	}

	u, err := parseURL(rc.URL)
	if err != nil {
		bad("url", "%v", err)
	}
	cfg.URL, cfg.RawURL = u, rc.URL

	for name, value := range rc.Headers {
		if !validHeaderName(name) {
			bad("headers", "%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			bad("headers."+name, "the value holds a line break or NUL byte")
		}
	}

	if rc.Timeout != "" {
		d, err := time.ParseDuration(rc.Timeout)
		switch {
		case err != nil:
			bad("timeout", "%q is not a duration (write it as 30s, 1m30s or 500ms)", rc.Timeout)
		case d <= 0:
			bad("timeout", "%q must be positive", rc.Timeout)
		case d > maxTimeout:
			bad("timeout", "%q is longer than the maximum of %s", rc.Timeout, maxTimeout)
		default:
			cfg.Timeout = d
		}
	}

	if rc.ExpectedStatus == nil {
		cfg.Expected, _ = parseStatusSet([]json.RawMessage{json.RawMessage(strconv.Quote(defaultExpectedStatus))})
	} else {
		set, err := parseStatusSet(rc.ExpectedStatus)
		if err != nil {
			bad("expected_status", "%v", err)
		}
		cfg.Expected = set
	}

	if rc.CaptureResponse != nil {
		cfg.CaptureResponse = *rc.CaptureResponse
	}

	if rc.MaxResponseBytes != nil {
		n := *rc.MaxResponseBytes
		switch {
		case n < 1:
			bad("max_response_bytes", "%d must be at least 1", n)
		case n > maxMaxResponseBytes:
			bad("max_response_bytes", "%d is more than the maximum of %d (1 MiB)", n, maxMaxResponseBytes)
		default:
			cfg.MaxResponseBytes = n
		}
	}

	if rc.IdempotencyHeader != nil {
		cfg.IdempotencyHeader = *rc.IdempotencyHeader
		if cfg.IdempotencyHeader != "" && !validHeaderName(cfg.IdempotencyHeader) {
			bad("idempotency_header", "%q is not a valid header name (use \"\" to send none)", cfg.IdempotencyHeader)
		}
	}

	if len(errs) > 0 {
		return config{}, errors.Join(errs...)
	}
	return cfg, nil
}

func validMethod(m string) bool {
	for _, v := range methods {
		if m == v {
			return true
		}
	}
	return false
}

func parseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is required (an absolute http or https URL)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("is not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q must start with http:// or https://", redactURL(u))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%q has no host", redactURL(u))
	}
	return u, nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// redactURL prints u without its user info, query and fragment, which may
// hold credentials; it is what messages and logs show.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := c.String()
	if u.RawQuery != "" {
		s += "?…"
	}
	return s
}

// redactRawURL is redactURL for a URL string; one that does not parse is
// left out.
func redactRawURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return redactURL(u)
}
