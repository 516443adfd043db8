package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// ReadyTimeout bounds one readiness check: a ready func that has not answered
// by then counts as not ready, so a hung database cannot hang the probe.
const ReadyTimeout = 2 * time.Second

// healthBody is the JSON body of /healthz and /readyz.
type healthBody struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// RegisterHealth registers the health endpoints on mux:
//
//   - GET /healthz answers 200 {"status":"ok"} for as long as the process
//     serves HTTP. It checks nothing else, so an orchestrator restarts the
//     process only when it is truly stuck.
//   - GET /readyz answers 200 {"status":"ready"} when ready returns nil within
//     [ReadyTimeout], and 503 {"status":"unavailable","error":"..."} otherwise.
//     The server makes ready fail at once when it starts shutting down, so
//     load balancers stop sending it traffic.
//
// ready is called with the request's context bounded by [ReadyTimeout].
func RegisterHealth(mux *http.ServeMux, ready func(ctx context.Context) error) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeHealth(w, http.StatusOK, healthBody{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		if err := ready(ctx); err != nil {
			writeHealth(w, http.StatusServiceUnavailable, healthBody{Status: "unavailable", Error: err.Error()})
			return
		}
		writeHealth(w, http.StatusOK, healthBody{Status: "ready"})
	})
}

// writeHealth writes body as JSON with the status code. Probes are never
// cached.
func writeHealth(w http.ResponseWriter, code int, body healthBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	// The client may have gone; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(body)
}
