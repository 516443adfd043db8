package api

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// MetricsHandler serves gatherer's metrics in the Prometheus format to
// authenticated principals: an owner sees every series; anyone else sees
// the series without a namespace label and those of the namespaces it
// holds a role in, so that one tenant's activity does not show in
// another's scrape. Prometheus sends a token with
// `authorization: {credentials_file: …}` in its scrape config.
func MetricsHandler(authn *Authenticator, gatherer prometheus.Gatherer, log *slog.Logger) http.Handler {
	opts := promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	all := promhttp.HandlerFor(gatherer, opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authn.Authenticate(r.Context(), r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kronos"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if p.Owner {
			all.ServeHTTP(w, r)
			return
		}
		promhttp.HandlerFor(namespaceFilter{gatherer: gatherer, p: p}, opts).ServeHTTP(w, r)
	})
}

// namespaceFilter drops the series of namespaces p holds no role in.
type namespaceFilter struct {
	gatherer prometheus.Gatherer
	p        *Principal
}

func (f namespaceFilter) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := f.gatherer.Gather()
	out := mfs[:0]
	for _, mf := range mfs {
		kept := mf.Metric[:0]
		for _, m := range mf.Metric {
			if f.visible(m) {
				kept = append(kept, m)
			}
		}
		if len(kept) > 0 {
			mf.Metric = kept
			out = append(out, mf)
		}
	}
	return out, err
}

func (f namespaceFilter) visible(m *dto.Metric) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == "namespace" {
			_, ok := f.p.Role(l.GetValue())
			return ok
		}
	}
	return true
}
