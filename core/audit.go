package core

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits on the fields of an AuditEvent, in bytes.
const (
	// MaxAuditActorBytes bounds AuditEvent.Actor.
	MaxAuditActorBytes = 200
	// MaxAuditActionBytes bounds AuditEvent.Action.
	MaxAuditActionBytes = 64
	// MaxAuditKindBytes bounds AuditEvent.Kind.
	MaxAuditKindBytes = 64
	// MaxAuditTargetBytes bounds AuditEvent.Target.
	MaxAuditTargetBytes = 300
	// MaxAuditRemoteBytes bounds AuditEvent.Remote.
	MaxAuditRemoteBytes = 100
	// MaxAuditJSONBytes bounds each of AuditEvent.Before and After.
	MaxAuditJSONBytes = 256 << 10
)

// AuditEvent is one change made through the API, for the audit log.
type AuditEvent struct {
	// ID is assigned by the store, increasing.
	ID int64 `json:"id"`
	// At is when the change was made; the store sets it when zero.
	At time.Time `json:"at"`
	// Namespace is where the change was made; empty for cluster-wide
	// changes. At most MaxNameLength bytes.
	Namespace string `json:"namespace,omitempty"`
	// Actor is who made it: "token:<id> (<name>)", "cert:CN=..",
	// "anonymous". Required.
	Actor string `json:"actor"`
	// Action is the API operation ID, e.g. "create-task". Required.
	Action string `json:"action"`
	// Kind is the kind of object changed: "task", "namespace", "plugin",
	// "secret", "token", "execution". Required.
	Kind string `json:"kind"`
	// Target is the object's name or ID.
	Target string `json:"target,omitempty"`
	// Remote is the client's address.
	Remote string `json:"remote,omitempty"`
	// Status is the HTTP status of the outcome.
	Status int `json:"status"`
	// Before is the object before the change, as JSON; empty when there
	// was none or it is not recorded.
	Before json.RawMessage `json:"before,omitempty"`
	// After is the object after the change, as JSON; empty when there is
	// none or it is not recorded.
	After json.RawMessage `json:"after,omitempty"`
}

// Validate reports every invalid field of e. Text fields must be valid
// UTF-8 and within their byte limits (MaxAudit*Bytes); Before and After,
// when set, must be JSON.
func (e *AuditEvent) Validate() error {
	var v validator
	for _, f := range []struct {
		field, value string
		max          int
		required     bool
	}{
		{"namespace", e.Namespace, MaxNameLength, false},
		{"actor", e.Actor, MaxAuditActorBytes, true},
		{"action", e.Action, MaxAuditActionBytes, true},
		{"kind", e.Kind, MaxAuditKindBytes, true},
		{"target", e.Target, MaxAuditTargetBytes, false},
		{"remote", e.Remote, MaxAuditRemoteBytes, false},
	} {
		switch {
		case f.value == "" && f.required:
			v.add(f.field, "is required")
		case len(f.value) > f.max:
			v.add(f.field, "is %d bytes long; the limit is %d (shorten it before recording the event)", len(f.value), f.max)
		case !utf8.ValidString(f.value):
			v.add(f.field, "is not valid UTF-8 (clean it with strings.ToValidUTF8)")
		}
	}
	for _, f := range []struct {
		field string
		value json.RawMessage
	}{{"before", e.Before}, {"after", e.After}} {
		switch {
		case len(f.value) == 0:
		case len(f.value) > MaxAuditJSONBytes:
			v.add(f.field, "is %d bytes of JSON; the limit is %d (record a summary instead)", len(f.value), MaxAuditJSONBytes)
		case !json.Valid(f.value) || !utf8.Valid(f.value):
			v.add(f.field, "is not valid JSON in UTF-8")
		}
	}
	return v.err(fmt.Sprintf("audit event %q", e.Action))
}
