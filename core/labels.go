package core

import (
	"fmt"
	"strings"
)

// SelectorOp is the comparison of one label requirement.
type SelectorOp string

// Selector operators, as in Kubernetes equality-based selectors.
const (
	// OpEquals matches tasks whose label has the value.
	OpEquals SelectorOp = "="
	// OpNotEquals matches tasks whose label is absent or has another value.
	OpNotEquals SelectorOp = "!="
	// OpExists matches tasks that carry the label.
	OpExists SelectorOp = "exists"
	// OpNotExists matches tasks that do not carry the label.
	OpNotExists SelectorOp = "!exists"
)

// LabelRequirement is one comma-separated term of a label selector.
type LabelRequirement struct {
	Key   string
	Op    SelectorOp
	Value string
}

// LabelSelector matches tasks whose labels meet every requirement.
type LabelSelector []LabelRequirement

// ParseLabelSelector parses a Kubernetes-style equality selector:
// comma-separated terms "key=value" (or "key==value"), "key!=value", "key"
// (label present) and "!key" (label absent). An empty string selects all.
func ParseLabelSelector(s string) (LabelSelector, error) {
	var sel LabelSelector
	if strings.TrimSpace(s) == "" {
		return sel, nil
	}
	for term := range strings.SplitSeq(s, ",") {
		term = strings.TrimSpace(term)
		var r LabelRequirement
		switch {
		case term == "":
			return nil, &FieldError{Field: "selector", Message: fmt.Sprintf("%q has an empty term: separate terms with single commas, e.g. \"env=prod,team=payments\"", s)}
		case strings.Contains(term, "!="):
			k, v, _ := strings.Cut(term, "!=")
			r = LabelRequirement{Key: strings.TrimSpace(k), Op: OpNotEquals, Value: strings.TrimSpace(v)}
		case strings.Contains(term, "=="):
			k, v, _ := strings.Cut(term, "==")
			r = LabelRequirement{Key: strings.TrimSpace(k), Op: OpEquals, Value: strings.TrimSpace(v)}
		case strings.Contains(term, "="):
			k, v, _ := strings.Cut(term, "=")
			r = LabelRequirement{Key: strings.TrimSpace(k), Op: OpEquals, Value: strings.TrimSpace(v)}
		case strings.HasPrefix(term, "!"):
			r = LabelRequirement{Key: strings.TrimSpace(term[1:]), Op: OpNotExists}
		default:
			r = LabelRequirement{Key: term, Op: OpExists}
		}
		var v validator
		v.labels("selector", map[string]string{r.Key: r.Value})
		if len(v.fields) > 0 {
			return nil, &FieldError{Field: "selector", Message: fmt.Sprintf("term %q: %s", term, v.fields[0].Message)}
		}
		sel = append(sel, r)
	}
	return sel, nil
}

// Matches reports whether labels satisfy every requirement of sel.
func (sel LabelSelector) Matches(labels map[string]string) bool {
	for _, r := range sel {
		v, ok := labels[r.Key]
		switch r.Op {
		case OpEquals:
			if !ok || v != r.Value {
				return false
			}
		case OpNotEquals:
			if ok && v == r.Value {
				return false
			}
		case OpExists:
			if !ok {
				return false
			}
		case OpNotExists:
			if ok {
				return false
			}
		}
	}
	return true
}

// String renders sel in the syntax ParseLabelSelector reads.
func (sel LabelSelector) String() string {
	parts := make([]string, len(sel))
	for i, r := range sel {
		switch r.Op {
		case OpExists:
			parts[i] = r.Key
		case OpNotExists:
			parts[i] = "!" + r.Key
		default:
			parts[i] = r.Key + string(r.Op) + r.Value
		}
	}
	return strings.Join(parts, ",")
}
