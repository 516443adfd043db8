package sdktest

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is a plugin's config schema compiled as a Kronos server compiles
// it (JSON Schema draft 2020-12), so that a test can check the configs it
// accepts and refuses without a server.
type Schema struct{ s *jsonschema.Schema }

// CompileSchema compiles the config schema a plugin's describe returns.
func CompileSchema(schema string) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("config schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("config.json", doc); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	s, err := c.Compile("config.json")
	if err != nil {
		return nil, fmt.Errorf("config schema does not compile: %w", err)
	}
	return &Schema{s: s}, nil
}

// Validate reports whether config, a task config in JSON, satisfies the
// schema: nil, or an error that lists every problem.
func (s *Schema) Validate(config string) error {
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(config))
	if err != nil {
		return fmt.Errorf("config is not JSON: %w", err)
	}
	return s.s.Validate(inst)
}
