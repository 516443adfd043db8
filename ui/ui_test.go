package ui

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// app is a built UI as Vite lays it out.
var app = fstest.MapFS{
	"index.html":                  {Data: []byte(`<!doctype html><title>Kronos</title><script type="module" src="/assets/index-AbC123.js"></script>`)},
	"favicon.svg":                 {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"assets/index-AbC123.js":      {Data: []byte(`console.log("kronos")`)},
	"assets/index-DeF456.css":     {Data: []byte(`body{margin:0}`)},
	"assets/fonts/x-GhI789.woff2": {Data: []byte("wOF2")},
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func get(t *testing.T, h http.Handler, method, target, accept string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesFilesWithCacheHeaders(t *testing.T) {
	h := handler(app)
	tests := []struct {
		name, target, accept string
		wantStatus           int
		wantBody             string
		wantType             string
		wantCache            string
		wantCSP              bool
	}{
		{"root is index.html", "/", "*/*", 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
		{"index.html by name", "/index.html", "", 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
		{"hashed script is immutable", "/assets/index-AbC123.js", "*/*", 200, `console.log("kronos")`, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", false},
		{"hashed style is immutable", "/assets/index-DeF456.css", "text/css,*/*;q=0.1", 200, "body{margin:0}", "text/css; charset=utf-8", "public, max-age=31536000, immutable", false},
		{"nested asset", "/assets/fonts/x-GhI789.woff2", "*/*", 200, "wOF2", "font/woff2", "public, max-age=31536000, immutable", false},
		{"unhashed file is revalidated", "/favicon.svg", "image/*", 200, "<svg", "image/svg+xml", "no-cache", false},
		{"page path from a browser gets the app", "/tasks", browserAccept, 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
		{"nested page path from a browser", "/tasks/new", browserAccept, 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
		{"page path with a query", "/tasks?q=backup", browserAccept, 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
		{"page path from a script is 404", "/tasks", "application/json", 404, "404 page not found", "", "", false},
		{"page path without Accept is 404", "/nope", "", 404, "404 page not found", "", "", false},
		{"missing asset is 404, not the app", "/assets/index-old999.js", browserAccept, 404, "404 page not found", "", "", false},
		{"missing file with an extension is 404", "/robots.txt", browserAccept, 404, "404 page not found", "", "", false},
		{"unknown API path is 404, not the app", "/api/v1/nope", browserAccept, 404, "404 page not found", "", "", false},
		{"API root is 404", "/api", browserAccept, 404, "404 page not found", "", "", false},
		{"metrics subpath is 404", "/metrics/x", browserAccept, 404, "404 page not found", "", "", false},
		{"a page whose name starts like a route is a page", "/apiary", browserAccept, 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
		{"dot segments stay inside", "/assets/../index.html", "", 200, "<title>Kronos</title>", "text/html; charset=utf-8", "no-cache", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, tt.target, tt.accept)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", rec.Code, tt.wantStatus, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %q, want it to contain %q", rec.Body, tt.wantBody)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			if got := rec.Header().Get("Content-Security-Policy"); (got != "") != tt.wantCSP {
				t.Errorf("Content-Security-Policy %q, want one: %v", got, tt.wantCSP)
			}
			if rec.Header().Get("ETag") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v, want an ETag and nosniff", rec.Header())
			}
		})
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	h := handler(app)
	first := get(t, h, http.MethodGet, "/", "")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /")
	}
	if again := get(t, h, http.MethodGet, "/", "", "If-None-Match", etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("GET / with If-None-Match: %d %q, want 304 and no body", again.Code, again.Body)
	}
	// The SPA fallback is index.html: the same ETag.
	if page := get(t, h, http.MethodGet, "/tasks", browserAccept, "If-None-Match", etag); page.Code != http.StatusNotModified {
		t.Errorf("GET /tasks with index.html's ETag: %d, want 304", page.Code)
	}
	if other := get(t, h, http.MethodGet, "/favicon.svg", "", "If-None-Match", etag); other.Code != http.StatusOK {
		t.Errorf("GET /favicon.svg with index.html's ETag: %d, want 200", other.Code)
	}
}

func TestHandlerMethods(t *testing.T) {
	h := handler(app)
	head := get(t, h, http.MethodHead, "/", "")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, %d bytes, headers %v; want 200, no body, a length", head.Code, head.Body.Len(), head.Header())
	}
	post := get(t, h, http.MethodPost, "/", "")
	if post.Code != http.StatusMethodNotAllowed || post.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q; want 405 with Allow: GET, HEAD", post.Code, post.Header().Get("Allow"))
	}
}

func TestHandlerWithoutIndexHasNoFallback(t *testing.T) {
	h := handler(fstest.MapFS{"assets/a-1.js": {Data: []byte("x")}})
	if rec := get(t, h, http.MethodGet, "/tasks", browserAccept); rec.Code != http.StatusNotFound {
		t.Errorf("GET /tasks without index.html: %d, want 404", rec.Code)
	}
}

// Text files worth it are sent gzipped to clients that take gzip, as a
// representation of their own (Vary, ETag); small files and clients that
// refuse gzip get the bytes as they are.
func TestHandlerGzipsLargeTextFiles(t *testing.T) {
	big := strings.Repeat(`console.log("kronos schedules tasks");`, 200)
	h := handler(fstest.MapFS{
		"index.html":             {Data: []byte(`<!doctype html><title>Kronos</title>`)},
		"assets/index-AbC123.js": {Data: []byte(big)},
	})
	rec := get(t, h, http.MethodGet, "/assets/index-AbC123.js", "*/*", "Accept-Encoding", "gzip, deflate, br")
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v, want gzip and Vary", rec.Header())
	}
	if rec.Body.Len() >= len(big)/4 {
		t.Errorf("gzipped body is %d bytes of %d", rec.Body.Len(), len(big))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || string(plain) != big {
		t.Fatalf("gunzipped body differs (%v)", err)
	}
	gzTag := rec.Header().Get("ETag")
	if again := get(t, h, http.MethodGet, "/assets/index-AbC123.js", "*/*", "Accept-Encoding", "gzip", "If-None-Match", gzTag); again.Code != http.StatusNotModified {
		t.Errorf("revalidation with the gzip ETag: %d, want 304", again.Code)
	}
	for _, enc := range []string{"", "identity", "gzip;q=0", "br"} {
		rec := get(t, h, http.MethodGet, "/assets/index-AbC123.js", "*/*", "Accept-Encoding", enc)
		if rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != big || rec.Header().Get("ETag") == gzTag {
			t.Errorf("Accept-Encoding %q: encoding %q, %d bytes, ETag %s", enc, rec.Header().Get("Content-Encoding"), rec.Body.Len(), rec.Header().Get("ETag"))
		}
	}
	if rec := get(t, h, http.MethodGet, "/", "*/*", "Accept-Encoding", "gzip"); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("a small index.html was gzipped")
	}
}
