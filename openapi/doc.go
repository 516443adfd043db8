// Package openapi is Kronos's HTTP surface.
//
// It will hold the REST API under /api/v1 (huma v2 operations, the generated
// openapi.yaml and the clients generated from it) in a later issue. For now
// it holds the health endpoints that load balancers and orchestrators probe:
// GET /healthz (liveness) and GET /readyz (readiness), registered by
// [RegisterHealth].
package openapi
