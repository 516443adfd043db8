//go:build kronos_ui

package ui

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestHandlerServesTheBuiltApp checks the embedded ui/dist: index.html
// loads hashed assets that the handler serves as immutable.
func TestHandlerServesTheBuiltApp(t *testing.T) {
	if !Built {
		t.Fatal("Built is false in a build with the kronos_ui tag")
	}
	h := Handler()
	index := get(t, h, http.MethodGet, "/", "")
	if index.Code != http.StatusOK || !strings.Contains(index.Body.String(), `<div id="root">`) {
		t.Fatalf("GET /: %d %q, want the app's index.html", index.Code, index.Body)
	}
	assets := regexp.MustCompile(`/assets/[^"]+\.(?:js|css)`).FindAllString(index.Body.String(), -1)
	if len(assets) == 0 {
		t.Fatalf("index.html names no /assets/ script or style:\n%s", index.Body)
	}
	for _, a := range assets {
		rec := get(t, h, http.MethodGet, a, "*/*")
		if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != cacheImmutable {
			t.Errorf("GET %s: %d, Cache-Control %q; want 200 immutable", a, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
}
