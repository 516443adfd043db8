package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// statusRange is an inclusive range of HTTP status codes.
type statusRange struct {
	lo, hi int
}

// statusSet is the expected_status of a config: the statuses that make an
// execution succeed.
type statusSet struct {
	ranges []statusRange
	text   string // as the user wrote it, for messages: "2xx" or "200, 204"
}

// contains reports whether status is expected.
func (s statusSet) contains(status int) bool {
	for _, r := range s.ranges {
		if r.lo <= status && status <= r.hi {
			return true
		}
	}
	return false
}

// String returns the set as written, such as "2xx" or "200, 301-308".
func (s statusSet) String() string { return s.text }

// parseStatusSet parses expected_status entries: status codes (200),
// classes ("2xx") and ranges ("200-299"); a code may also be a string
// ("204").
func parseStatusSet(entries []json.RawMessage) (statusSet, error) {
	if len(entries) == 0 {
		return statusSet{}, fmt.Errorf("is empty; list at least one status, such as [200] or [%q]", defaultExpectedStatus)
	}
	var set statusSet
	texts := make([]string, 0, len(entries))
	for i, raw := range entries {
		r, text, err := parseStatusEntry(raw)
		if err != nil {
			return statusSet{}, fmt.Errorf("[%d]: %w", i, err)
		}
		set.ranges = append(set.ranges, r)
		texts = append(texts, text)
	}
	set.text = strings.Join(texts, ", ")
	return set, nil
}

func parseStatusEntry(raw json.RawMessage) (statusRange, string, error) {
	var code int
	if err := json.Unmarshal(raw, &code); err == nil {
		if !validStatus(code) {
			return statusRange{}, "", fmt.Errorf("%d is not an HTTP status (100 to 599)", code)
		}
		return statusRange{code, code}, strconv.Itoa(code), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return statusRange{}, "", fmt.Errorf("%s is neither a status code nor a string such as \"2xx\"", raw)
	}
	r, err := parseStatusText(s)
	if err != nil {
		return statusRange{}, "", err
	}
	return r, s, nil
}

func parseStatusText(s string) (statusRange, error) {
	invalid := fmt.Errorf("%q is not a status, class or range (write 204, \"2xx\" or \"200-299\")", s)
	if len(s) == 3 && (s[1:] == "xx" || s[1:] == "XX") && '1' <= s[0] && s[0] <= '5' {
		c := int(s[0]-'0') * 100
		return statusRange{c, c + 99}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil || len(lo) != 3 || !validStatus(a) {
		return statusRange{}, invalid
	}
	if !isRange {
		return statusRange{a, a}, nil
	}
	b, err := strconv.Atoi(hi)
	if err != nil || len(hi) != 3 || !validStatus(b) {
		return statusRange{}, invalid
	}
	if b < a {
		return statusRange{}, fmt.Errorf("%q is an empty range (write the lower status first)", s)
	}
	return statusRange{a, b}, nil
}

func validStatus(code int) bool { return 100 <= code && code <= 599 }
