package sdk

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shiyu-coder/kronos/sdk/abi"
)

// HTTPRequest is an outbound HTTP request made through the host, which
// enforces the namespace's network policy (no private addresses unless
// allowed, host allowlist) at dial time and on every redirect.
type HTTPRequest struct {
	// Method is the HTTP method. Defaults to GET.
	Method string
	// URL is the absolute http or https URL.
	URL string
	// Headers are the request headers.
	Headers map[string]string
	// Body is the request body. Text is sent as the "body" field, other
	// bytes as "body_base64".
	Body []byte
	// Timeout bounds the request, redirects included. Defaults to the
	// host's timeout (the execution's remaining time at most).
	Timeout time.Duration
	// DisableRedirects returns a 3xx response as is instead of following
	// it. Redirects are followed by default.
	DisableRedirects bool
	// MaxResponseBytes cuts the response body after this many bytes and
	// sets HTTPResponse.Truncated. Defaults to the host's limit.
	MaxResponseBytes int
}

// HTTPResponse is the response to an HTTPRequest.
type HTTPResponse struct {
	// Status is the HTTP status code.
	Status int
	// Headers are the response headers, keyed by canonical name.
	Headers Header
	// Body is the response body, cut at MaxResponseBytes.
	Body []byte
	// Truncated is true when Body was cut.
	Truncated bool
	// URL is the final URL, after redirects.
	URL string
	// Duration is how long the request took.
	Duration time.Duration
}

// Header is a set of HTTP headers, as in net/http (which the SDK does not
// import, to keep plugins small).
type Header map[string][]string

// Get returns the first value of the header name, matched without regard
// to case, or "" when it is absent.
func (h Header) Get(name string) string {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// HTTPErrorKind classifies a failed HTTP request.
type HTTPErrorKind string

// The kinds of HTTP request failure the host reports.
const (
	// HTTPErrorRefused: the network policy refused the address or host.
	HTTPErrorRefused HTTPErrorKind = "refused"
	// HTTPErrorInvalidRequest: the request itself is malformed.
	HTTPErrorInvalidRequest HTTPErrorKind = "invalid_request"
	// HTTPErrorDNS: the host name did not resolve.
	HTTPErrorDNS HTTPErrorKind = "dns"
	// HTTPErrorConnect: the connection failed.
	HTTPErrorConnect HTTPErrorKind = "connect"
	// HTTPErrorTimeout: the request ran past its timeout.
	HTTPErrorTimeout HTTPErrorKind = "timeout"
	// HTTPErrorTLS: the TLS handshake or certificate check failed.
	HTTPErrorTLS HTTPErrorKind = "tls"
	// HTTPErrorTooManyRedirects: the redirect chain was too long.
	HTTPErrorTooManyRedirects HTTPErrorKind = "too_many_redirects"
	// HTTPErrorCanceled: the execution was canceled.
	HTTPErrorCanceled HTTPErrorKind = "canceled"
	// HTTPErrorOther: any other failure.
	HTTPErrorOther HTTPErrorKind = "other"
)

// HTTPError is a failed HTTP request: no response was received.
type HTTPError struct {
	// Kind classifies the failure.
	Kind HTTPErrorKind
	// Message is the host's explanation.
	Message string
}

// Error returns "kind: message".
func (e *HTTPError) Error() string {
	return string(e.Kind) + ": " + e.Message
}

func encodeHTTPRequest(req HTTPRequest) ([]byte, error) {
	doc := abi.HTTPRequest{
		Method:           req.Method,
		URL:              req.URL,
		Headers:          req.Headers,
		MaxResponseBytes: int64(req.MaxResponseBytes),
	}
	if doc.Method == "" {
		doc.Method = "GET"
	}
	if req.Timeout > 0 {
		doc.TimeoutMS = max(req.Timeout.Milliseconds(), 1)
	}
	if req.DisableRedirects {
		f := false
		doc.FollowRedirects = &f
	}
	if utf8.Valid(req.Body) {
		doc.Body = string(req.Body)
	} else {
		doc.BodyBase64 = base64.StdEncoding.EncodeToString(req.Body)
	}
	return json.Marshal(doc)
}

func decodeHTTPResponse(data []byte) (HTTPResponse, error) {
	var doc abi.HTTPResponse
	if err := json.Unmarshal(data, &doc); err != nil {
		return HTTPResponse{}, &HTTPError{Kind: HTTPErrorOther, Message: "the host's http_request response is not valid JSON: " + err.Error()}
	}
	if doc.Error != nil {
		kind := HTTPErrorKind(doc.Error.Kind)
		if kind == "" {
			kind = HTTPErrorOther
		}
		return HTTPResponse{}, &HTTPError{Kind: kind, Message: doc.Error.Message}
	}
	resp := HTTPResponse{
		Status:    doc.Status,
		Headers:   Header(doc.Headers),
		Body:      []byte(doc.Body),
		Truncated: doc.Truncated,
		URL:       doc.URL,
		Duration:  time.Duration(doc.DurationMS) * time.Millisecond,
	}
	if resp.Headers == nil {
		resp.Headers = Header{}
	}
	if doc.BodyBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(doc.BodyBase64)
		if err != nil {
			return HTTPResponse{}, &HTTPError{Kind: HTTPErrorOther, Message: "the host's http_request response has invalid body_base64: " + err.Error()}
		}
		resp.Body = b
	}
	if resp.Status == 0 {
		return HTTPResponse{}, &HTTPError{Kind: HTTPErrorOther, Message: "the host returned no status and no error for " + resp.URL}
	}
	return resp, nil
}
