package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/shiyu-coder/kronos/sdk"
)

// maxScriptBytes bounds a script's source (256 KiB); the JSON Schema in
// schema.go states the same number.
const maxScriptBytes = 256 << 10

// scriptName is the file name stack traces and syntax errors give.
const scriptName = "script.js"

// The script is the body of an async function. The prefix stays on the
// script's first line so that line numbers are the script's own; only
// columns on line 1 are shifted, and syntax errors correct them.
const (
	wrapPrefix = "(async function () {"
	wrapSuffix = "\n})"
)

// rawConfig is the task config as written.
type rawConfig struct {
	Script  string            `json:"script"`
	Args    json.RawMessage   `json:"args"`
	Secrets map[string]string `json:"secrets"`
}

// config is a validated config, its script compiled.
type config struct {
	Program *goja.Program
	Args    json.RawMessage // a JSON object
	Secrets map[string]string
}

// decodeConfig decodes and validates a task config, compiling its script.
func decodeConfig(raw json.RawMessage) (config, error) {
	var rc rawConfig
	if err := sdk.DecodeConfig(raw, &rc); err != nil {
		return config{}, err
	}
	var errs []error
	cfg := config{Args: json.RawMessage(`{}`), Secrets: rc.Secrets}
	if cfg.Secrets == nil {
		cfg.Secrets = map[string]string{}
	}
	if len(rc.Args) > 0 && string(rc.Args) != "null" {
		if !strings.HasPrefix(strings.TrimSpace(string(rc.Args)), "{") {
			errs = append(errs, errors.New("config.args: must be an object, such as {\"url\": \"https://…\"}"))
		}
		cfg.Args = rc.Args
	}
	switch {
	case strings.TrimSpace(rc.Script) == "":
		errs = append(errs, errors.New("config.script: is required: the JavaScript to run, such as `return 1 + 1`"))
	case len(rc.Script) > maxScriptBytes:
		errs = append(errs, fmt.Errorf("config.script: is %d bytes; the maximum is %d (256 KiB)", len(rc.Script), maxScriptBytes))
	default:
		p, err := compileScript(rc.Script)
		if err != nil {
			errs = append(errs, fmt.Errorf("config.script: %w", err))
		}
		cfg.Program = p
	}
	if len(errs) > 0 {
		return config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// compiled caches the last script compiled: a pooled instance usually
// runs the same task again, and a goja.Program is immutable and not tied
// to a runtime, so reusing it keeps no state between executions.
var compiled struct {
	sync.Mutex
	src  string
	prog *goja.Program
}

// compileScript compiles a script wrapped in its async function. A syntax
// error says where: "SyntaxError at line 3, column 7: Unexpected token )".
func compileScript(src string) (*goja.Program, error) {
	compiled.Lock()
	defer compiled.Unlock()
	if compiled.prog != nil && compiled.src == src {
		return compiled.prog, nil
	}
	ast, err := parser.ParseFile(nil, scriptName, wrapPrefix+src+wrapSuffix, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, syntaxError(err, strings.Count(src, "\n")+1)
	}
	p, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, syntaxError(err, strings.Count(src, "\n")+1)
	}
	compiled.src, compiled.prog = src, p
	return p, nil
}

// syntaxError rewrites a parser or compiler error with the script's own
// line and column.
func syntaxError(err error, lines int) error {
	var list parser.ErrorList
	var one *parser.Error
	var cse *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		e := list[0]
		return errors.New(at(e.Position.Line, e.Position.Column, lines, e.Message))
	case errors.As(err, &one):
		return errors.New(at(one.Position.Line, one.Position.Column, lines, one.Message))
	case errors.As(err, &cse) && cse.File != nil:
		pos := cse.File.Position(cse.Offset)
		return errors.New(at(pos.Line, pos.Column, lines, cse.Message))
	default:
		return fmt.Errorf("SyntaxError: %w", err)
	}
}

// at formats a syntax error at a position of the wrapped source of a
// script of lines lines. An error in the wrapper's closing line (the
// script ends too early) is reported at the script's end.
func at(line, col, lines int, msg string) string {
	if line == 1 {
		col -= len(wrapPrefix)
	}
	if line > lines {
		line, col = lines, 0
	}
	if col < 1 {
		col = 1
	}
	return fmt.Sprintf("SyntaxError at line %d, column %d: %s", line, col, msg)
}

// validateConfig is the validate export: it reports a script that does
// not compile, with its line and column, when the task is saved.
func validateConfig(raw json.RawMessage) []sdk.FieldError {
	_, err := decodeConfig(raw)
	return sdk.FieldErrors(err)
}
