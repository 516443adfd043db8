package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/knadh/koanf/parsers/yaml"
)

// committedOpenAPI is the document `just openapi` writes, from this
// package's directory.
var committedOpenAPI = filepath.Join("..", "..", "openapi", "openapi.yaml")

// runOpenAPI runs kronos openapi with args and returns what it printed.
func runOpenAPI(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := execute(t.Context(), append([]string{"openapi"}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("kronos openapi %s: exit code %d; stderr %q", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.Bytes()
}

// The committed openapi/openapi.yaml is what `kronos openapi` prints from
// the code: the drift test of the API's document.
func TestOpenAPIFileIsUpToDate(t *testing.T) {
	t.Parallel()
	got := runOpenAPI(t)
	want, err := os.ReadFile(committedOpenAPI)
	if err != nil {
		t.Fatalf("openapi/openapi.yaml is missing (%v): run `just openapi`", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("openapi/openapi.yaml is out of date: run `just openapi`\n%s", firstDiff(want, got))
	}
}

// The OpenAPI 3.0 downgrade and the Go client generated from it are what
// `just openapi` makes from the code.
func TestOpenAPIClientIsUpToDate(t *testing.T) {
	t.Parallel()
	got := runOpenAPI(t, "--format", "yaml-3.0")
	want, err := os.ReadFile("../../openapi/openapi-3.0.yaml")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("openapi/openapi-3.0.yaml is out of date (%v): run `just openapi`\n%s", err, firstDiff(want, got))
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the client check runs oapi-codegen through the go command: %v", err)
	}
	// Without -o in the command line, oapi-codegen writes to the output
	// the config names; generate into a temporary config instead.
	dir := t.TempDir()
	cfg, err := os.ReadFile("../../openapi/client/oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "client.gen.go")
	cfg = bytes.Replace(cfg, []byte("output: openapi/client/client.gen.go"), []byte("output: "+out), 1)
	if err := os.WriteFile(filepath.Join(dir, "cfg.yaml"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), goTool, "tool", "oapi-codegen", "-config", filepath.Join(dir, "cfg.yaml"), "../../openapi/openapi-3.0.yaml")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	gen, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../openapi/client/client.gen.go")
	if err != nil || !bytes.Equal(gen, committed) {
		t.Fatalf("openapi/client/client.gen.go is out of date (%v): run `just openapi`\n%s", err, firstDiff(committed, gen))
	}
}

// The JSON and the YAML document are the same document, each with
// openapi and info first.
func TestOpenAPIFormats(t *testing.T) {
	t.Parallel()
	yamlDoc, jsonDoc := runOpenAPI(t), runOpenAPI(t, "--format", "json")
	if !bytes.HasPrefix(yamlDoc, []byte("openapi: 3.1.0\ninfo:\n")) {
		t.Errorf("the YAML document starts %q, want openapi then info", yamlDoc[:min(len(yamlDoc), 40)])
	}
	if !bytes.HasPrefix(jsonDoc, []byte("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {\n")) {
		t.Errorf("the JSON document starts %q, want openapi then info", jsonDoc[:min(len(jsonDoc), 40)])
	}
	var fromJSON map[string]any
	if err := json.Unmarshal(jsonDoc, &fromJSON); err != nil {
		t.Fatalf("--format json is not JSON: %v", err)
	}
	fromYAML, err := yaml.Parser().Unmarshal(yamlDoc)
	if err != nil {
		t.Fatalf("--format yaml is not YAML: %v", err)
	}
	// Through JSON, so that numbers compare alike.
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var fromYAMLViaJSON map[string]any
	if err := json.Unmarshal(b, &fromYAMLViaJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAMLViaJSON) {
		t.Error("the YAML and the JSON document differ")
	}
	info, _ := fromJSON["info"].(map[string]any)
	if info["version"] != "1.0.0" {
		t.Errorf("info.version = %v, want the API's version 1.0.0, not the build's", info["version"])
	}
}

func TestOpenAPIBadFormat(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := execute(t.Context(), []string{"openapi", "--format", "xml"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit code %d, want 2; stderr %q", code, stderr.String())
	}
	if want := `--format "xml": use yaml, json or yaml-3.0`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q, want it to contain %q", stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed %d bytes to stdout, want none", stdout.Len())
	}
}

// firstDiff describes where got first differs from want, line by line,
// with the lines around it.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	line := func(lines []string, n int) string {
		if n < len(lines) {
			return fmt.Sprintf("%q", lines[n])
		}
		return "(end of file)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (%d lines committed, %d generated):\n", i+1, len(wl), len(gl))
	for n := max(0, i-2); n < i; n++ {
		fmt.Fprintf(&b, "    %4d   %s\n", n+1, line(wl, n))
	}
	fmt.Fprintf(&b, "  - %4d   %s\n", i+1, line(wl, i))
	fmt.Fprintf(&b, "  + %4d   %s\n", i+1, line(gl, i))
	return b.String()
}
