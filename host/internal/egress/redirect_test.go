package egress

import (
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// redirector redirects every request to target with 302, counting them.
type redirector struct {
	target string
	n      atomic.Int64
}

func (r *redirector) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.n.Add(1)
	http.Redirect(w, req, r.target, http.StatusFound)
}

func TestDoRedirects(t *testing.T) {
	t.Parallel()
	final := &counter{}
	finalSrv := newServer(t, final)

	// Allowed redirects, all on 127.0.0.1.
	mux := http.NewServeMux()
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/final", http.StatusFound)
	})
	mux.HandleFunc("/final", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("final"))
	})
	var loops atomic.Int64
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		loops.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := newServer(t, mux)
	allowLoopback := Policy{AllowAddrs: []netip.Prefix{loopback}}

	t.Run("followed within the policy", func(t *testing.T) {
		t.Parallel()
		resp, err := newClient(t, allowLoopback).Do(t.Context(), Request{URL: srv.URL + "/hop"})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if resp.Status != http.StatusOK || string(resp.Body) != "final" || resp.URL != srv.URL+"/final" {
			t.Errorf("got %d %q at %s, want 200 \"final\" at %s/final", resp.Status, resp.Body, resp.URL, srv.URL)
		}
	})

	t.Run("to a loopback port outside allow_addrs refused", func(t *testing.T) {
		t.Parallel()
		// The first server is on 127.0.0.2 (allowed); it redirects to the
		// final server on 127.0.0.1 (not allowed).
		from := &redirector{target: finalSrv.URL + "/"}
		fromSrv := newServerOn(t, "127.0.0.2", from)
		d := &dials{}
		c := newClient(t, Policy{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}, withDialHook(d.hook))
		_, err := c.Do(t.Context(), Request{URL: fromSrv.URL + "/"})
		if k := kindOf(t, err); k != KindRefused {
			t.Fatalf("kind = %q, want refused (err %v)", k, err)
		}
		if !strings.Contains(err.Error(), "redirect from "+fromSrv.URL+"/ to "+finalSrv.URL+"/") ||
			!strings.Contains(err.Error(), "127.0.0.1 is a loopback address") {
			t.Errorf("message %q does not name the redirect and the address", err)
		}
		if from.n.Load() != 1 || final.n.Load() != 0 {
			t.Errorf("hits: first %d, final %d; want 1 and 0", from.n.Load(), final.n.Load())
		}
		for _, a := range d.list() {
			if a.Addr() != netip.MustParseAddr("127.0.0.2") {
				t.Errorf("dialled %s, want only 127.0.0.2", a)
			}
		}
	})

	t.Run("to the metadata endpoint refused without a dial", func(t *testing.T) {
		t.Parallel()
		d := &dials{}
		c := newClient(t, allowLoopback, withDialHook(d.hook))
		_, err := c.Do(t.Context(), Request{URL: srv.URL + "/metadata"})
		if k := kindOf(t, err); k != KindRefused {
			t.Fatalf("kind = %q, want refused (err %v)", k, err)
		}
		if !strings.Contains(err.Error(), "169.254.169.254 is a cloud metadata endpoint") {
			t.Errorf("message %q does not name the metadata endpoint", err)
		}
		for _, a := range d.list() {
			if a.Addr() != netip.MustParseAddr("127.0.0.1") {
				t.Errorf("dialled %s, want only 127.0.0.1", a)
			}
		}
	})

	t.Run("to a file URL refused", func(t *testing.T) {
		t.Parallel()
		_, err := newClient(t, allowLoopback).Do(t.Context(), Request{URL: srv.URL + "/file"})
		if k := kindOf(t, err); k != KindRefused {
			t.Fatalf("kind = %q, want refused (err %v)", k, err)
		}
	})

	t.Run("loop stops at max_redirects", func(t *testing.T) {
		t.Parallel()
		p := allowLoopback
		p.MaxRedirects = 3
		_, err := newClient(t, p).Do(t.Context(), Request{URL: srv.URL + "/loop"})
		if k := kindOf(t, err); k != KindTooManyRedirects {
			t.Fatalf("kind = %q, want too_many_redirects (err %v)", k, err)
		}
		if !strings.Contains(err.Error(), "stopped after 3 redirects") {
			t.Errorf("message %q does not say where it stopped", err)
		}
		if n := loops.Load(); n != 4 {
			t.Errorf("loop requests = %d, want 4 (the first and 3 redirects)", n)
		}
	})

	t.Run("follow_redirects false returns the 3xx", func(t *testing.T) {
		t.Parallel()
		resp, err := newClient(t, allowLoopback).Do(t.Context(), Request{URL: srv.URL + "/hop", FollowRedirects: ptr(false)})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if resp.Status != http.StatusFound || resp.Header.Get("Location") != "/final" || resp.URL != srv.URL+"/hop" {
			t.Errorf("got %d Location %q at %s, want 302 to /final", resp.Status, resp.Header.Get("Location"), resp.URL)
		}
	})

	t.Run("policy max_redirects -1 returns the 3xx even when the request follows", func(t *testing.T) {
		t.Parallel()
		p := allowLoopback
		p.MaxRedirects = NoRedirects
		resp, err := newClient(t, p).Do(t.Context(), Request{URL: srv.URL + "/hop", FollowRedirects: ptr(true)})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if resp.Status != http.StatusFound {
			t.Errorf("status = %d, want 302", resp.Status)
		}
	})
}
