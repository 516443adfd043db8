//go:build !kronos_ui

package ui

import (
	"net/http"
	"strings"
	"testing"
)

func TestHandlerWithoutUISaysHowToBuildIt(t *testing.T) {
	if Built {
		t.Fatal("Built is true in a build without the kronos_ui tag")
	}
	h := Handler()
	for _, target := range []string{"/", "/tasks"} {
		rec := get(t, h, http.MethodGet, target, browserAccept)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %q, want 200 text/html", target, rec.Code, rec.Header().Get("Content-Type"))
		}
		for _, want := range []string{
			"This kronos binary was built without the web UI.",
			"<code>just build</code> (needs Node.js and\n        npm)",
			"<code>just ui</code> then <code>go build -tags kronos_ui ./cmd/kronos</code>",
			`href="/healthz"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: the page lacks %q:\n%s", target, want, body)
			}
		}
		if rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache (a later binary may embed the UI)", target, rec.Header().Get("Cache-Control"))
		}
	}
	if rec := get(t, h, http.MethodGet, "/assets/index-AbC123.js", "*/*"); rec.Code != http.StatusNotFound {
		t.Errorf("GET an asset without the UI: %d, want 404", rec.Code)
	}
}
