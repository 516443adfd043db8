package core

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// DefaultNamespace is the namespace every store creates on first start and
// that requests use when they name none.
const DefaultNamespace = "default"

// MaxDescriptionLength is the longest description, in characters, that a
// namespace or task may carry.
const MaxDescriptionLength = 1024

// Namespace is the unit of tenant isolation: every task, execution and log
// line belongs to exactly one.
type Namespace struct {
	// Name identifies the namespace; see ValidateName.
	Name string `json:"name"`
	// Description is free text for people.
	Description string `json:"description,omitempty"`
	// Settings are the limits and network policy of the namespace's
	// plugins.
	Settings NamespaceSettings `json:"settings,omitzero"`
	// Version increases by one on every update; updates that name an older
	// version fail with a conflict (optimistic concurrency).
	Version int64 `json:"version"`
	// CreatedAt is when the namespace was created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the namespace last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate reports every invalid field of n.
func (n *Namespace) Validate() error {
	var v validator
	if fe := ValidateName("name", n.Name); fe != nil {
		v.fields = append(v.fields, fe)
	}
	v.description("description", n.Description)
	n.Settings.validate(&v, "settings")
	return v.err(fmt.Sprintf("namespace %q", n.Name))
}

func (v *validator) description(field, d string) {
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLength {
		v.add(field, "is %d characters long; the limit is %d", n, MaxDescriptionLength)
	}
	if !utf8.ValidString(d) {
		v.add(field, "is not valid UTF-8")
	}
}
