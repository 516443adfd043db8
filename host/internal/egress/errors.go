package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"
)

// ErrorKind says why a request failed, in words a plugin can switch on.
type ErrorKind string

// The kinds of [Error].
const (
	// KindRefused: the network policy does not allow the destination (an
	// address class, a host outside the allowlist, a redirect to either).
	KindRefused ErrorKind = "refused"
	// KindInvalidRequest: the request itself is wrong (URL, scheme, method,
	// header, body size, timeout).
	KindInvalidRequest ErrorKind = "invalid_request"
	// KindDNS: the host name did not resolve.
	KindDNS ErrorKind = "dns"
	// KindConnect: no connection could be made (refused, unreachable, reset).
	KindConnect ErrorKind = "connect"
	// KindTimeout: the request's or the caller's deadline passed.
	KindTimeout ErrorKind = "timeout"
	// KindTLS: the TLS handshake or certificate verification failed.
	KindTLS ErrorKind = "tls"
	// KindTooManyRedirects: the request was redirected more often than the
	// policy's MaxRedirects.
	KindTooManyRedirects ErrorKind = "too_many_redirects"
	// KindCanceled: the caller's context was canceled.
	KindCanceled ErrorKind = "canceled"
	// KindOther: anything else (a protocol error, a body cut off by the
	// server).
	KindOther ErrorKind = "other"
)

// Error is every error [Client.Do] returns. The host hands Kind and the
// message to the plugin as data.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// Msg says what was being done, what went wrong and, where there is
	// one, the fix.
	Msg string
	// err is the underlying error, if any.
	err error
}

// Error returns the kind and the message, as in "refused: GET
// http://10.0.0.5/: 10.0.0.5 is a private address; ...".
func (e *Error) Error() string { return string(e.Kind) + ": " + e.Msg }

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.err }

// errRequestTimeout is the cause of a request context whose own timeout
// passed, as opposed to the caller's deadline.
var errRequestTimeout = errors.New("egress: request timeout")

// classify turns an error of the HTTP client into an *Error. what says what
// was being done ("GET https://example.com/x"); ctx is the request's context
// (with errRequestTimeout as the cause of its own timeout); timeout is the
// request's timeout and policyTimeout the policy's, for messages.
func classify(ctx context.Context, err error, what string, timeout, policyTimeout time.Duration) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	limits := fmt.Sprintf("the request's timeout is %s; the namespace's network policy allows at most %s", timeout, policyTimeout)
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		switch {
		case errors.Is(cause, errRequestTimeout):
			return &Error{Kind: KindTimeout, Msg: fmt.Sprintf("%s did not finish within %s (%s)", what, timeout, limits), err: err}
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return &Error{Kind: KindTimeout, Msg: what + ": the call's deadline passed", err: err}
		default:
			return &Error{Kind: KindCanceled, Msg: what + ": canceled: " + cause.Error(), err: err}
		}
	}
	// The url.Error around err quotes the whole URL, query included.
	msg := what + ": " + stripURLFromErr(err).Error()
	var (
		dnsErr      *net.DNSError
		opErr       *net.OpError
		netErr      net.Error
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownAuth), errors.As(err, &hostnameErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return &Error{Kind: KindTLS, Msg: msg, err: err}
	case errors.As(err, &netErr) && netErr.Timeout():
		// The transport's own timeouts (response headers, TLS handshake),
		// which can fire just before the request's context does.
		return &Error{Kind: KindTimeout, Msg: msg + " (" + limits + ")", err: err}
	case errors.As(err, &dnsErr):
		return &Error{Kind: KindDNS, Msg: msg, err: err}
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return &Error{Kind: KindConnect, Msg: msg, err: err}
	}
	return &Error{Kind: KindOther, Msg: msg, err: err}
}
