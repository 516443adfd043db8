package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/shiyu-coder/kronos/sdk"
)

// response is the result the plugin records.
type response struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Headers are the response headers, several values joined by ", ";
	// Set-Cookie is redacted. Only with capture_response.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the response body as text, cut at max_response_bytes. Only
	// with capture_response.
	Body string `json:"body,omitempty"`
	// BodyBase64 holds a body that is not UTF-8 text.
	BodyBase64 string `json:"body_base64,omitempty"`
	// Truncated is true when the body was cut.
	Truncated bool `json:"truncated"`
	// DurationMS is how long the request took.
	DurationMS int64 `json:"duration_ms"`
	// URL is the final URL when redirects were followed (without its query).
	URL string `json:"url,omitempty"`
}

// transportFailure is the result recorded when no response arrived.
type transportFailure struct {
	Error struct {
		Kind    sdk.HTTPErrorKind `json:"kind"`
		Message string            `json:"message"`
	} `json:"error"`
}

// handle runs one execution: one request, and a status check.
func handle(ctx *sdk.Context) (sdk.Result, error) {
	cfg, err := decodeConfig(ctx.RawConfig())
	if err != nil {
		return sdk.Result{}, err
	}
	headers := make(map[string]string, len(cfg.Headers)+1)
	maps.Copy(headers, cfg.Headers)
	if cfg.IdempotencyHeader != "" && ctx.Execution.ID != "" && !hasHeader(headers, cfg.IdempotencyHeader) {
		headers[cfg.IdempotencyHeader] = ctx.Execution.ID
	}
	target := cfg.Method + " " + redactURL(cfg.URL)
	ctx.Log.Debug("sending request", "method", cfg.Method, "url", redactURL(cfg.URL), "attempt", ctx.Execution.Attempt)

	resp, err := ctx.HTTP(sdk.HTTPRequest{
		Method:           cfg.Method,
		URL:              cfg.RawURL,
		Headers:          headers,
		Body:             []byte(cfg.Body),
		Timeout:          cfg.Timeout,
		MaxResponseBytes: cfg.MaxResponseBytes,
	})
	if err != nil {
		var he *sdk.HTTPError
		if !errors.As(err, &he) {
			he = &sdk.HTTPError{Kind: sdk.HTTPErrorOther, Message: err.Error()}
		}
		var v transportFailure
		v.Error.Kind, v.Error.Message = he.Kind, he.Message
		msg := fmt.Sprintf("%s: %s: %s", target, he.Kind, he.Message)
		ctx.Log.Error("request failed", "kind", string(he.Kind), "error", he.Message)
		return sdk.Failed(msg, v), nil
	}

	out := response{
		Status:     resp.Status,
		Truncated:  resp.Truncated,
		DurationMS: resp.Duration.Milliseconds(),
	}
	if cfg.CaptureResponse {
		out.Headers = flattenHeaders(resp.Headers)
		body := resp.Body
		if len(body) > cfg.MaxResponseBytes {
			body, out.Truncated = body[:cfg.MaxResponseBytes], true
		}
		out.Body, out.BodyBase64 = bodyText(body, out.Truncated)
		if resp.URL != "" && resp.URL != cfg.RawURL {
			out.URL = redactRawURL(resp.URL)
		}
	}
	ctx.Log.Info("response", "status", resp.Status, "duration_ms", out.DurationMS)
	if !cfg.Expected.contains(resp.Status) {
		return sdk.Failed(fmt.Sprintf("HTTP %d from %s (expected %s)", resp.Status, target, cfg.Expected), out), nil
	}
	return sdk.Succeeded(out), nil
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// flattenHeaders joins several values with ", " and redacts Set-Cookie,
// which carries session secrets that do not belong in a stored result.
func flattenHeaders(h sdk.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if strings.EqualFold(k, "Set-Cookie") {
			out[k] = "[redacted]"
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// bodyText returns b as text when it is UTF-8 (a cut body may end inside
// a character, which is dropped), and as base64 otherwise.
func bodyText(b []byte, truncated bool) (text, b64 string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	if truncated {
		for cut := 1; cut < utf8.UTFMax && cut <= len(b); cut++ {
			if utf8.Valid(b[:len(b)-cut]) {
				return string(b[:len(b)-cut]), ""
			}
		}
	}
	return "", base64.StdEncoding.EncodeToString(b)
}
