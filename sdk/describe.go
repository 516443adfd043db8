package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Description is what the describe export returns: who the plugin is and
// which config it accepts.
type Description struct {
	// Name is the executor name the plugin suggests, such as "http".
	Name string `json:"name"`
	// Version is the plugin's version, such as "1.0.0".
	Version string `json:"version,omitempty"`
	// Description is one paragraph for people.
	Description string `json:"description,omitempty"`
	// ConfigSchema is the JSON Schema (2020-12) of the task config: a
	// json.RawMessage, a map, or any value that encodes as a JSON object.
	// Kronos validates each task's config against it and reports errors
	// by field.
	ConfigSchema any `json:"config_schema,omitempty"`
}

// Encode returns the describe output for d.
func (d Description) Encode() ([]byte, error) {
	if d.Name == "" {
		return nil, errors.New("describe: Description.Name is empty")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("describe: encode the description (is ConfigSchema valid JSON?): %w", err)
	}
	return b, nil
}
