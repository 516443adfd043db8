package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Version is the Kronos version in the default User-Agent
// ("kronos/<Version>"). Release builds set it with
// -ldflags "-X github.com/shiyu-coder/kronos/host/internal/egress.Version=v1.2.3";
// [WithUserAgent] overrides the whole header per client.
var Version = "dev"

// Transport limits of every Client.
const (
	// maxIdleConns caps the idle connections a Client keeps.
	maxIdleConns = 64
	// maxIdleConnsPerHost caps the idle connections per host.
	maxIdleConnsPerHost = 8
	// idleConnTimeout closes an idle connection.
	idleConnTimeout = 90 * time.Second
	// tlsHandshakeTimeout bounds a TLS handshake (or the policy's timeout,
	// if shorter).
	tlsHandshakeTimeout = 10 * time.Second
	// expectContinueTimeout bounds the wait for "100 Continue".
	expectContinueTimeout = time.Second
	// maxPrealloc caps the buffer allocated up front for a body of known
	// length, so a lying Content-Length costs nothing.
	maxPrealloc = 1 << 20
	// keepAlive is the TCP keep-alive period of connections.
	keepAlive = 30 * time.Second
)

// Request is one HTTP request of a plugin.
type Request struct {
	// Method is the HTTP method. Defaults to GET. CONNECT is refused.
	Method string
	// URL is the absolute http or https URL to request, without user info.
	URL string
	// Header holds the request headers. A Host header is ignored (the host
	// is the URL's). User-Agent defaults to "kronos/<Version>".
	Header http.Header
	// Body is the request body, at most MaxRequestBodyBytes.
	Body []byte
	// Timeout bounds this request, redirects and body included; it can
	// only shorten the policy's Timeout. Defaults to the policy's Timeout.
	Timeout time.Duration
	// FollowRedirects turns redirects off when set to false; the 3xx
	// response is then returned. Nil or true follows up to the policy's
	// MaxRedirects.
	FollowRedirects *bool
}

// Response is the answer to a Request. Any status, 4xx and 5xx included, is
// a Response, not an error.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the response body, at most the policy's MaxResponseBytes.
	Body []byte
	// Truncated reports that the body was longer than MaxResponseBytes and
	// has been cut to it.
	Truncated bool
	// URL is the final URL, after redirects.
	URL string
	// Duration is the time from the start of Do to the end of the body.
	Duration time.Duration
}

// Resolver looks up the IP addresses of a host name. Tests use it to make
// names resolve to loopback addresses without DNS.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// Option configures a Client.
type Option func(*Client)

// WithResolver makes the client resolve host names with r instead of the
// system resolver. Every address r returns is still checked at dial time.
func WithResolver(r Resolver) Option {
	return func(c *Client) { c.resolve = r }
}

// WithUserAgent sets the User-Agent sent when a request sets none.
// Defaults to "kronos/" + Version.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithTLSConfig sets the TLS configuration of the client's connections, for
// instance a private CA's root pool. The config is cloned; its MinVersion is
// raised to TLS 1.2. Defaults to the system roots.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *Client) {
		if cfg != nil {
			c.tlsConfig = cfg.Clone()
		}
	}
}

// withDialHook calls hook with each address just before it is dialled.
// Tests use it to prove that refused addresses are never dialled.
func withDialHook(hook func(netip.AddrPort)) Option {
	return func(c *Client) { c.dialHook = hook }
}

// Client sends the HTTP requests of plugins under one Policy. It is safe for
// concurrent use. It keeps idle connections; Close releases them.
type Client struct {
	policy    Policy
	hosts     hostAllowlist
	addrs     addrRules
	resolve   Resolver
	userAgent string
	tlsConfig *tls.Config
	dialHook  func(netip.AddrPort)

	dialer    *net.Dialer
	transport *http.Transport
}

// NewClient returns a client that enforces p (with its zero settings at
// their defaults). A malformed AllowedHosts pattern matches nothing; check a
// policy with [Policy.Validate] before storing it.
func NewClient(p Policy, opts ...Option) *Client {
	p = p.withDefaults()
	c := &Client{
		policy:    p,
		hosts:     newHostAllowlist(p.AllowedHosts),
		addrs:     newAddrRules(p),
		resolve:   systemResolve,
		userAgent: "kronos/" + Version,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.tlsConfig == nil {
		c.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	} else if c.tlsConfig.MinVersion < tls.VersionTLS12 {
		c.tlsConfig.MinVersion = tls.VersionTLS12
	}
	c.dialer = &net.Dialer{
		Timeout:   p.Timeout,
		KeepAlive: keepAlive,
		Control:   c.control,
	}
	c.transport = &http.Transport{
		// Never a proxy from the environment: it would connect on the
		// plugin's behalf, past the dial-time check.
		Proxy:                  nil,
		DialContext:            c.dialContext,
		TLSClientConfig:        c.tlsConfig,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		TLSHandshakeTimeout:    min(tlsHandshakeTimeout, p.Timeout),
		ResponseHeaderTimeout:  p.Timeout,
		ExpectContinueTimeout:  expectContinueTimeout,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
	return c
}

// Close closes the client's idle connections. The client stays usable.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// Do sends r and reads its response under the client's policy and ctx. The
// error, if any, is an [*Error]; a 4xx or 5xx status is not an error.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	start := time.Now()
	p, e := c.prepare(r)
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeoutCause(ctx, p.timeout, errRequestTimeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.url.String(), body)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Msg: p.what + ": " + stripURLFromErr(err).Error(), err: err}
	}
	req.Header = p.header

	hc := &http.Client{
		Transport: c.transport,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if !p.follow {
				return http.ErrUseLastResponse
			}
			from := redactURL(via[len(via)-1].URL)
			if len(via) > c.policy.MaxRedirects {
				return &Error{Kind: KindTooManyRedirects, Msg: fmt.Sprintf("%s: stopped after %d redirects at %s (the namespace's network policy allows max_redirects %d)",
					p.what, len(via)-1, from, c.policy.MaxRedirects)}
			}
			if e := c.checkURL(next.URL); e != nil {
				return &Error{Kind: KindRefused, Msg: fmt.Sprintf("%s: redirect from %s to %s: %s", p.what, from, redactURL(next.URL), e.Msg)}
			}
			return nil
		},
	}
	resp, err := hc.Do(req)
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		return nil, classify(ctx, err, p.what, p.timeout, c.policy.Timeout)
	}
	defer func() { _ = resp.Body.Close() }()

	respBody, truncated, err := readBody(resp, c.policy.MaxResponseBytes)
	if err != nil {
		return nil, classify(ctx, err, p.what+": reading the response body", p.timeout, c.policy.Timeout)
	}
	return &Response{
		Status:    resp.StatusCode,
		Header:    resp.Header,
		Body:      respBody,
		Truncated: truncated,
		URL:       resp.Request.URL.String(),
		Duration:  time.Since(start),
	}, nil
}

// prepared is a Request that passed the checks made before any dial.
type prepared struct {
	method  string
	url     *url.URL
	header  http.Header
	timeout time.Duration
	follow  bool
	// what names the request in messages: "GET https://example.com/x",
	// without the query.
	what string
}

// prepare checks r before anything is dialled: method, URL (see checkURL),
// body size, timeout and headers.
func (c *Client) prepare(r Request) (prepared, *Error) {
	invalid := func(format string, args ...any) (prepared, *Error) {
		return prepared{}, &Error{Kind: KindInvalidRequest, Msg: fmt.Sprintf(format, args...)}
	}
	p := prepared{method: r.Method, timeout: c.policy.Timeout}
	if p.method == "" {
		p.method = http.MethodGet
	}
	if p.method == http.MethodConnect {
		return invalid("method CONNECT is not allowed (it opens a tunnel)")
	}
	if !validToken(p.method) {
		return invalid("method %q is not a valid HTTP method", p.method)
	}
	if r.URL == "" {
		return invalid("url is empty: give an absolute http or https URL")
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return invalid("url is not valid: %v", stripURLFromErr(err))
	}
	p.url = u
	p.what = p.method + " " + redactURL(u)
	if e := c.checkURL(u); e != nil {
		e.Msg = p.what + ": " + e.Msg
		return prepared{}, e
	}
	if len(r.Body) > MaxRequestBodyBytes {
		return invalid("%s: request body of %d bytes is over the %d-byte limit", p.what, len(r.Body), MaxRequestBodyBytes)
	}
	if r.Timeout < 0 {
		return invalid("%s: timeout %s is negative", p.what, r.Timeout)
	}
	if r.Timeout > 0 && r.Timeout < p.timeout {
		p.timeout = r.Timeout
	}
	p.header = make(http.Header, len(r.Header)+1)
	for k, vs := range r.Header {
		if !validToken(k) {
			return invalid("%s: header name %q is not valid", p.what, k)
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return invalid("%s: header %s has a control character in its value", p.what, k)
			}
		}
		ck := http.CanonicalHeaderKey(k)
		p.header[ck] = append(p.header[ck], vs...)
	}
	p.header.Del("Host")
	if _, ok := p.header["User-Agent"]; !ok && c.userAgent != "" {
		p.header.Set("User-Agent", c.userAgent)
	}
	p.follow = c.policy.MaxRedirects != NoRedirects && (r.FollowRedirects == nil || *r.FollowRedirects)
	return p, nil
}

// checkURL checks a URL before anything is dialled: scheme, user info, host
// and port syntax, the host allowlist, and an IP literal's address. Problems
// with the URL itself are invalid_request, policy refusals refused; the
// messages do not repeat the URL.
func (c *Client) checkURL(u *url.URL) *Error {
	invalid := func(format string, args ...any) *Error {
		return &Error{Kind: KindInvalidRequest, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case u.Scheme == "":
		return invalid("url %q is not absolute: give an http or https URL", redactURL(u))
	case u.Scheme != "http" && u.Scheme != "https":
		return invalid("scheme %q is not supported: only http and https URLs can be requested", u.Scheme)
	case u.User != nil:
		return invalid("url carries user info: send credentials in an Authorization header instead")
	case u.Opaque != "" || u.Host == "":
		return invalid("url %q has no host", redactURL(u))
	}
	host := u.Hostname()
	if host == "" {
		return invalid("url %q has no host", redactURL(u))
	}
	for i := range len(host) {
		if host[i] >= 0x80 {
			return invalid("host %q is not ASCII: write internationalized names in their punycode (xn--) form", host)
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return invalid("port %q is out of range (1 to 65535)", p)
		}
	}
	if !c.hosts.allows(host) {
		return &Error{Kind: KindRefused, Msg: fmt.Sprintf("host %s is not in the namespace's allowed_hosts (%s); add it to allowed_hosts", host, c.hosts)}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if e := c.addrs.check("", a); e != nil {
			return e
		}
	}
	return nil
}

// dialContext is the transport's dialer: it resolves host names itself,
// checks every address against the policy and dials only allowed IP
// literals, so the address checked is the address connected to.
func (c *Client) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Msg: fmt.Sprintf("dial %s: %v", address, err), err: err}
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Msg: fmt.Sprintf("dial %s: port %q is not valid", address, portStr), err: err}
	}
	addrs, name, e := c.lookup(ctx, host)
	if e != nil {
		return nil, e
	}
	var refusal *Error
	var dialErr error
	for _, a := range addrs {
		if e := c.addrs.check(name, a); e != nil {
			if refusal == nil {
				refusal = e
			}
			continue
		}
		ap := netip.AddrPortFrom(a.Unmap(), uint16(port))
		if c.dialHook != nil {
			c.dialHook(ap)
		}
		conn, err := c.dialer.DialContext(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		dialErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, refusal
}

// lookup returns the addresses to dial for host, and the name to show in a
// refusal ("" for an IP literal).
func (c *Client) lookup(ctx context.Context, host string) ([]netip.Addr, string, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, "", nil
	}
	if isLocalhostName(host) {
		return localhostAddrs, host, nil
	}
	addrs, err := c.resolve(ctx, host)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, host, err
	case err != nil:
		return nil, host, &Error{Kind: KindDNS, Msg: fmt.Sprintf("resolve %s: %v", host, err), err: err}
	case len(addrs) == 0:
		return nil, host, &Error{Kind: KindDNS, Msg: fmt.Sprintf("resolve %s: no addresses", host)}
	}
	return addrs, host, nil
}

// control runs just before connect(2) on the socket's numeric address: a
// second check that nothing but an allowed IP is ever connected to.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return &Error{Kind: KindRefused, Msg: fmt.Sprintf("network %s is not allowed (only TCP)", network)}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Kind: KindRefused, Msg: fmt.Sprintf("dial address %q is not an IP address and port", address), err: err}
	}
	if e := c.addrs.check("", ap.Addr()); e != nil {
		return e
	}
	return nil
}

// systemResolve resolves host with the system's resolver.
func systemResolve(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// readBody reads at most max bytes of the body and reports whether there
// was more.
func readBody(resp *http.Response, maxBytes int64) (body []byte, truncated bool, err error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(min(n, maxBytes, maxPrealloc)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBytes+1)); err != nil {
		return nil, false, err
	}
	body = buf.Bytes()
	if int64(len(body)) > maxBytes {
		return body[:maxBytes], true, nil
	}
	return body, false, nil
}

// redactURL returns u for a message: without user info and query.
func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery = ""
	v.ForceQuery = false
	v.Fragment, v.RawFragment = "", ""
	return v.String()
}

// stripURLFromErr returns the error of url.Parse without the URL it quotes
// (which may carry secrets in its query).
func stripURLFromErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// validToken reports whether s is an HTTP token (RFC 9110 section 5.6.2),
// as method and header names must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v has no control characters but tab.
func validHeaderValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
