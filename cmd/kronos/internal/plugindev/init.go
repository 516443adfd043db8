package plugindev

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/shiyu-coder/kronos/core"
	"github.com/shiyu-coder/kronos/examples"
)

//go:embed all:templates
var templates embed.FS

// Languages lists the languages Init writes skeletons for.
var Languages = []string{"go", "assemblyscript"}

// KronosModule is the module path of Kronos, whose sdk package Go plugins
// import.
const KronosModule = "github.com/shiyu-coder/kronos"

// GoVersion is the go directive of a Go skeleton's go.mod: the Kronos
// module's own, which its sdk needs.
const GoVersion = "1.26.0"

// pseudoVersion is the version a go.mod requires when a replace directive
// supplies the module.
const pseudoVersion = "v0.0.0-00010101000000-000000000000"

// InitParams says what skeleton Init writes.
type InitParams struct {
	// Name is the plugin's name: its executor name, Go module path and
	// .wasm file name. Required.
	Name string
	// Lang is "go" or "assemblyscript". Defaults to "go".
	Lang string
	// Dir receives the skeleton; it must be absent or empty. Required.
	Dir string
	// Kronos is a Kronos checkout a Go skeleton's go.mod replaces the
	// module with. Empty requires Version instead.
	Kronos string
	// Version is the Kronos release a Go skeleton requires when Kronos is
	// empty.
	Version string
}

// Init writes a skeleton plugin into p.Dir and returns the paths it wrote,
// relative to p.Dir, sorted.
func Init(p InitParams) ([]string, error) {
	if p.Lang == "" {
		p.Lang = "go"
	}
	if !slices.Contains(Languages, p.Lang) {
		return nil, fmt.Errorf("--lang %q: use %s", p.Lang, strings.Join(Languages, " or "))
	}
	if fe := core.ValidateName("plugin name", p.Name); fe != nil {
		return nil, fmt.Errorf("%s (it is the executor name tasks use)", fe.Error())
	}
	if p.Lang == "go" && p.Kronos == "" && p.Version == "" {
		return nil, errors.New("no Kronos release to require: this kronos is a development build; pass --kronos PATH (a Kronos checkout) to use its sdk through a replace directive")
	}
	if err := checkEmpty(p.Dir); err != nil {
		return nil, err
	}
	data := struct {
		Name, GoVersion, Version, Replace string
	}{Name: p.Name, GoVersion: GoVersion, Version: p.Version}
	if p.Kronos != "" {
		abs, err := filepath.Abs(p.Kronos)
		if err != nil {
			return nil, fmt.Errorf("--kronos %s: %w", p.Kronos, err)
		}
		data.Replace, data.Version = filepath.ToSlash(abs), pseudoVersion
	}
	root := path.Join("templates", p.Lang)
	var written []string
	err := fs.WalkDir(templates, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := templates.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, root+"/")
		if strings.HasSuffix(rel, ".tmpl") {
			rel = strings.TrimSuffix(rel, ".tmpl")
			t, err := template.New(rel).Option("missingkey=error").Parse(string(body))
			if err != nil {
				return fmt.Errorf("template %s: %w", name, err)
			}
			var buf bytes.Buffer
			if err := t.Execute(&buf, data); err != nil {
				return fmt.Errorf("template %s: %w", name, err)
			}
			body = buf.Bytes()
		}
		if rel == "gitignore" {
			rel = ".gitignore" // embed would skip a dot file without all:, and go vet dislikes it
		}
		dst := filepath.Join(p.Dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, body, 0o644); err != nil { //nolint:gosec // source files for the user
			return err
		}
		written = append(written, rel)
		return nil
	})
	if err == nil && p.Lang == "assemblyscript" {
		// The JSON and base64 helpers are the example plugin's own files.
		for _, name := range []string{"json.ts", "base64.ts"} {
			var body []byte
			if body, err = examples.AssemblyScriptHelpers.ReadFile("assemblyscript-hello/assembly/" + name); err != nil {
				break
			}
			rel := "assembly/" + name
			if err = os.WriteFile(filepath.Join(p.Dir, "assembly", name), body, 0o644); err != nil { //nolint:gosec // source files for the user
				break
			}
			written = append(written, rel)
		}
	}
	if err != nil {
		return written, fmt.Errorf("write the skeleton into %s: %w", p.Dir, err)
	}
	slices.Sort(written)
	return written, nil
}

// checkEmpty refuses a directory that holds anything.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--dir %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("--dir %s is not empty (it holds %s): choose a new or empty directory", dir, entries[0].Name())
	}
	return nil
}

// FindKronos returns the root of the Kronos checkout that holds dir (or
// one of its parents), or "" when there is none.
func FindKronos(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if modulePath(filepath.Join(dir, "go.mod")) == KronosModule {
			if _, err := os.Stat(filepath.Join(dir, "sdk", "contract.go")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePath returns the module path a go.mod declares, or "".
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
