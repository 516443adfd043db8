package openapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shiyu-coder/kronos/openapi"
)

func TestHealth(t *testing.T) {
	t.Parallel()

	errDown := errors.New("store: dial tcp 127.0.0.1:3306: connection refused")
	tests := []struct {
		name       string
		method     string
		path       string
		ready      func(ctx context.Context) error
		wantCode   int
		wantStatus string
		wantError  string
	}{
		{
			name: "healthz is ok even when not ready", method: http.MethodGet, path: "/healthz",
			ready:    func(context.Context) error { return errDown },
			wantCode: http.StatusOK, wantStatus: "ok",
		},
		{
			name: "readyz is ready when ready returns nil", method: http.MethodGet, path: "/readyz",
			ready:    func(context.Context) error { return nil },
			wantCode: http.StatusOK, wantStatus: "ready",
		},
		{
			name: "readyz is unavailable with the error when ready fails", method: http.MethodGet, path: "/readyz",
			ready:    func(context.Context) error { return errDown },
			wantCode: http.StatusServiceUnavailable, wantStatus: "unavailable", wantError: errDown.Error(),
		},
		{
			name: "readyz gives up after ReadyTimeout", method: http.MethodGet, path: "/readyz",
			ready: func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					return errors.New("ready was called without a deadline")
				}
				<-ctx.Done()
				return ctx.Err()
			},
			wantCode: http.StatusServiceUnavailable, wantStatus: "unavailable", wantError: context.DeadlineExceeded.Error(),
		},
		{
			name: "HEAD healthz is served", method: http.MethodHead, path: "/healthz",
			ready:    func(context.Context) error { return nil },
			wantCode: http.StatusOK,
		},
		{
			name: "POST healthz is refused", method: http.MethodPost, path: "/healthz",
			ready:    func(context.Context) error { return nil },
			wantCode: http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			openapi.RegisterHealth(mux, tt.ready)
			req := httptest.NewRequestWithContext(t.Context(), tt.method, tt.path, http.NoBody)
			rec := httptest.NewRecorder()
			start := time.Now()
			mux.ServeHTTP(rec, req)

			if rec.Code != tt.wantCode {
				t.Fatalf("%s %s: code %d, want %d (body %q)", tt.method, tt.path, rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantStatus == "" {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var body struct {
				Status string `json:"status"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			if body.Status != tt.wantStatus || body.Error != tt.wantError {
				t.Errorf("body %+v, want status %q error %q", body, tt.wantStatus, tt.wantError)
			}
			// Outcome, not duration: only check it did not give up early.
			if tt.wantError == context.DeadlineExceeded.Error() && time.Since(start) < openapi.ReadyTimeout {
				t.Errorf("readyz gave up before ReadyTimeout")
			}
		})
	}
}
