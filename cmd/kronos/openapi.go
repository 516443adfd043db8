package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/spf13/cobra"

	"github.com/shiyu-coder/kronos/api"
)

// openAPIFormats are the values of kronos openapi --format.
var openAPIFormats = []string{"yaml", "json", "yaml-3.0"}

func newOpenAPICmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI 3.1 document of the REST API",
		Long: `Openapi prints the OpenAPI 3.1 document of the REST API under /api/v1, as
a running server serves it at /openapi.yaml and /openapi.json. It is built
from the code, opens no store and starts nothing.

"just openapi" writes it to openapi/openapi.yaml, and a test fails when the
committed file differs from it.`,
		Example: `  kronos openapi > openapi/openapi.yaml
  kronos openapi --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(openAPIFormats, format) {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("--format %q: use yaml, json or yaml-3.0", format))}
			}
			doc, err := openAPIDocument(format)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(doc)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "yaml", "yaml, json, or yaml-3.0 (OpenAPI 3.0.3 for older generators)")
	return cmd
}

// openAPIKeyOrder is the order of the document's top-level fields in the
// output: what a reader looks for first comes first (huma sorts them
// alphabetically, which puts components before info). Fields not listed
// follow in huma's order.
var openAPIKeyOrder = []string{
	"openapi", "info", "jsonSchemaDialect", "servers", "security", "tags", "externalDocs", "paths", "webhooks", "components",
}

// openAPIDocument registers the API on a throwaway mux, without a store or
// an engine (registering uses neither), and returns its document in format
// (yaml or json), ending with a newline.
func openAPIDocument(format string) ([]byte, error) {
	doc := api.New(http.NewServeMux(), api.Config{}).OpenAPI()
	switch format {
	case "json":
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("openapi: encode the document as JSON: %w", err)
		}
		return orderJSON(b)
	case "yaml":
		b, err := doc.YAML()
		if err != nil {
			return nil, fmt.Errorf("openapi: encode the document as YAML: %w", err)
		}
		return orderYAML(b), nil
	case "yaml-3.0":
		// OpenAPI 3.0.3, for generators that do not read 3.1 yet
		// (oapi-codegen, which makes the Go client).
		b, err := doc.DowngradeYAML()
		if err != nil {
			return nil, fmt.Errorf("openapi: downgrade the document to 3.0: %w", err)
		}
		return orderYAML(b), nil
	}
	return nil, fmt.Errorf("openapi: unknown format %q: use yaml or json", format)
}

// orderJSON indents a JSON object with its top-level fields in
// openAPIKeyOrder.
func orderJSON(b []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("openapi: reorder the JSON document: %w", err)
	}
	keys := slices.Sorted(maps.Keys(fields))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(keyRank(a), keyRank(b)) })
	var out bytes.Buffer
	out.WriteString("{\n")
	for i, k := range keys {
		name, _ := json.Marshal(k)
		out.WriteString("  ")
		out.Write(name)
		out.WriteString(": ")
		if err := json.Indent(&out, fields[k], "  ", "  "); err != nil {
			return nil, fmt.Errorf("openapi: indent %s: %w", k, err)
		}
		if i < len(keys)-1 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
	}
	out.WriteString("}\n")
	return out.Bytes(), nil
}

// orderYAML puts the top-level fields of a YAML mapping in
// openAPIKeyOrder. A top-level field starts at a line's first column and
// runs up to the next such line: in huma's YAML every nested line is
// indented.
func orderYAML(b []byte) []byte {
	var chunks [][]byte
	for line := range bytes.Lines(b) {
		if len(chunks) == 0 || (line[0] != ' ' && line[0] != '-') {
			chunks = append(chunks, nil)
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], line...)
	}
	slices.SortStableFunc(chunks, func(a, b []byte) int { return cmp.Compare(keyRank(yamlKey(a)), keyRank(yamlKey(b))) })
	return bytes.Join(chunks, nil)
}

// yamlKey is the key a top-level YAML chunk starts with.
func yamlKey(chunk []byte) string {
	key, _, _ := bytes.Cut(chunk, []byte(":"))
	return string(key)
}

// keyRank is a top-level field's position in openAPIKeyOrder; fields not
// listed come after.
func keyRank(key string) int {
	if i := slices.Index(openAPIKeyOrder, key); i >= 0 {
		return i
	}
	return len(openAPIKeyOrder)
}
