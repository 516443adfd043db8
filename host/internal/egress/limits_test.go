package egress

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDoResponseBodyCap(t *testing.T) {
	t.Parallel()
	const limit = 1000
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		_, _ = w.Write(bytes.Repeat([]byte("x"), n))
	}))
	tests := []struct {
		name      string
		query     string
		wantLen   int
		truncated bool
	}{
		{"under the cap", "n=10", 10, false},
		{"exactly the cap", "n=1000", limit, false},
		{"one byte over the cap", "n=1001", limit, true},
		{"far over the cap", "n=500000", limit, true},
		{"far over the cap without a length", "n=500000&chunked=1", limit, true},
		{"empty", "n=0", 0, false},
	}
	c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}, MaxResponseBytes: limit})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := c.Do(t.Context(), Request{URL: srv.URL + "/?" + tt.query})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if len(resp.Body) != tt.wantLen || resp.Truncated != tt.truncated {
				t.Errorf("body %d bytes, truncated %v; want %d, %v", len(resp.Body), resp.Truncated, tt.wantLen, tt.truncated)
			}
		})
	}
}

func TestDoRequestBodyCap(t *testing.T) {
	t.Parallel()
	hits := &counter{}
	srv := newServer(t, hits)
	c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}})
	_, err := c.Do(t.Context(), Request{Method: http.MethodPost, URL: srv.URL, Body: make([]byte, MaxRequestBodyBytes+1)})
	if k := kindOf(t, err); k != KindInvalidRequest {
		t.Fatalf("kind = %q, want invalid_request (err %v)", k, err)
	}
	if !strings.Contains(err.Error(), "over the 10485760-byte limit") {
		t.Errorf("message %q does not name the limit", err)
	}
	if _, err := c.Do(t.Context(), Request{Method: http.MethodPost, URL: srv.URL, Body: make([]byte, MaxRequestBodyBytes)}); err != nil {
		t.Errorf("a body of exactly the limit: %v", err)
	}
	if n := hits.n.Load(); n != 1 {
		t.Errorf("server hits = %d, want 1", n)
	}
}

// stall is a handler that sends nothing (or only headers) until the client
// goes away.
func stall(headersFirst bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if headersFirst {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}
}

func TestDoTimeouts(t *testing.T) {
	t.Parallel()
	slowHeaders := newServer(t, stall(false))
	slowBody := newServer(t, stall(true))
	tests := []struct {
		name    string
		policy  time.Duration
		request time.Duration
		url     string
		want    string
	}{
		{"request timeout, no headers", time.Minute, 50 * time.Millisecond, slowHeaders.URL, "did not finish within 50ms"},
		{"request timeout, slow body", time.Minute, 50 * time.Millisecond, slowBody.URL, "reading the response body did not finish within 50ms"},
		// The transport's response-header timeout and the context race here.
		{"policy timeout caps the request's", 50 * time.Millisecond, time.Hour, slowHeaders.URL, "50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}, Timeout: tt.policy})
			_, err := c.Do(t.Context(), Request{URL: tt.url, Timeout: tt.request})
			if k := kindOf(t, err); k != KindTimeout {
				t.Fatalf("kind = %q, want timeout (err %v)", k, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q does not say %q", err, tt.want)
			}
		})
	}

	t.Run("caller's deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}})
		_, err := c.Do(ctx, Request{URL: slowHeaders.URL})
		if k := kindOf(t, err); k != KindTimeout {
			t.Fatalf("kind = %q, want timeout (err %v)", k, err)
		}
		if !strings.Contains(err.Error(), "the call's deadline passed") {
			t.Errorf("message %q does not blame the call's deadline", err)
		}
	})
}

func TestDoCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := newServer(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		cancel() // the caller gives up once the request has arrived
		<-r.Context().Done()
	}))
	c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}})
	_, err := c.Do(ctx, Request{URL: srv.URL})
	if k := kindOf(t, err); k != KindCanceled {
		t.Fatalf("kind = %q, want canceled (err %v)", k, err)
	}

	_, err = c.Do(ctx, Request{URL: srv.URL})
	if k := kindOf(t, err); k != KindCanceled {
		t.Errorf("already canceled: kind = %q, want canceled (err %v)", k, err)
	}
}

func TestDoInvalidRequests(t *testing.T) {
	t.Parallel()
	hits := &counter{}
	srv := newServer(t, hits)
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name string
		req  Request
		want string // in the message
	}{
		{"file URL", Request{URL: "file:///etc/passwd"}, `scheme "file" is not supported`},
		{"gopher URL", Request{URL: "gopher://" + hostPort + "/"}, `scheme "gopher" is not supported`},
		{"ftp URL", Request{URL: "ftp://" + hostPort + "/"}, `scheme "ftp" is not supported`},
		{"empty URL", Request{URL: ""}, "url is empty"},
		{"relative URL", Request{URL: "/path"}, "is not absolute"},
		{"malformed URL", Request{URL: "http://[::1"}, "url is not valid"},
		{"control character in URL", Request{URL: "http://a\n.example/"}, "url is not valid"},
		{"no host", Request{URL: "http:///path"}, "has no host"},
		{"opaque URL", Request{URL: "http:" + hostPort}, "has no host"},
		{"user info", Request{URL: "http://user:pass@" + hostPort + "/"}, "url carries user info"},
		{"port out of range", Request{URL: "http://example.com:99999/"}, `port "99999" is out of range`},
		{"port zero", Request{URL: "http://example.com:0/"}, `port "0" is out of range`},
		{"non-ASCII host", Request{URL: "http://bücher.example/"}, "is not ASCII"},
		{"CONNECT", Request{Method: http.MethodConnect, URL: srv.URL}, "CONNECT is not allowed"},
		{"bad method", Request{Method: "GE T", URL: srv.URL}, `method "GE T" is not a valid HTTP method`},
		{"bad header name", Request{URL: srv.URL, Header: http.Header{"X Bad": {"v"}}}, `header name "X Bad" is not valid`},
		{"header value with a newline", Request{URL: srv.URL, Header: http.Header{"X-Split": {"a\r\nInjected: yes"}}}, "header X-Split has a control character"},
		{"negative timeout", Request{URL: srv.URL, Timeout: -time.Second}, "timeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, Policy{AllowAddrs: []netip.Prefix{loopback}})
			_, err := c.Do(t.Context(), tt.req)
			if k := kindOf(t, err); k != KindInvalidRequest {
				t.Fatalf("kind = %q, want invalid_request (err %v)", k, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "user:pass") {
				t.Errorf("message %q repeats the user info", err)
			}
		})
	}
	t.Cleanup(func() {
		if n := hits.n.Load(); n != 0 {
			t.Errorf("server hits = %d, want 0", n)
		}
	})
}
