package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The CLI config file holds what "kronos login" saves: the server, the
// token and the settings a client command would otherwise take from
// flags or the environment, which both beat it.
const (
	// envConfigDir is the directory of the CLI config file; it beats
	// $XDG_CONFIG_HOME/kronos and ~/.config/kronos.
	envConfigDir = envPrefix + "CONFIG_DIR"
	// cliConfigName is the CLI config file's name in its directory.
	cliConfigName = "config.yaml"

	cfgServer     = "server"
	cfgToken      = "token"
	cfgNamespace  = "namespace"
	cfgClientCert = "client_cert"
	cfgClientKey  = "client_key"
	cfgCACert     = "ca_cert"
)

// cliConfigKeys are the keys the CLI config file may set.
var cliConfigKeys = []string{cfgServer, cfgToken, cfgNamespace, cfgClientCert, cfgClientKey, cfgCACert}

// cliConfig is the CLI config file as read.
type cliConfig struct {
	// path is the file, which may not exist yet; "" when no directory
	// for it could be found (no home directory).
	path string
	// values are the keys the file sets, without the empty ones.
	values map[string]string
}

// cliConfigPath returns where the CLI config file is:
// $KRONOS_CONFIG_DIR/config.yaml, else $XDG_CONFIG_HOME/kronos/config.yaml,
// else ~/.config/kronos/config.yaml.
func cliConfigPath() (string, error) {
	if d := os.Getenv(envConfigDir); d != "" {
		return filepath.Join(d, cliConfigName), nil
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "kronos", cliConfigName), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the CLI config file: %w; set %s", err, envConfigDir)
	}
	return filepath.Join(home, ".config", "kronos", cliConfigName), nil
}

// loadCLIConfig reads the CLI config file; a missing file is an empty
// config. A file that other users may read and that holds a token gets a
// warning on stderr.
func loadCLIConfig(stderr io.Writer) (*cliConfig, error) {
	c := &cliConfig{values: map[string]string{}}
	path, err := cliConfigPath()
	if err != nil {
		return c, nil //nolint:nilerr // no home directory: no config file, which only login needs
	}
	c.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the CLI config file: %w", err)
	}
	doc, err := parseCLIConfig(path, b)
	if err != nil {
		return nil, err
	}
	if m := configMapping(doc); m != nil {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if v := strings.TrimSpace(m.Content[i+1].Value); v != "" {
				c.values[m.Content[i].Value] = v
			}
		}
	}
	if c.values[cfgToken] != "" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(stderr, "kronos: warning: %s holds an API token and other users may read it (mode %04o): chmod 600 %s\n",
				path, fi.Mode().Perm(), path)
		}
	}
	return c, nil
}

// parseCLIConfig parses the CLI config file and checks its keys: each a
// known one, with a string value.
func parseCLIConfig(path string, b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("CLI config file %s: not valid YAML: %w", path, err)
	}
	if doc.Kind == 0 { // empty
		return &doc, nil
	}
	m := configMapping(&doc)
	if m == nil {
		return nil, fmt.Errorf("CLI config file %s: want a mapping of keys (%s) to strings", path, strings.Join(cliConfigKeys, ", "))
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !slices.Contains(cliConfigKeys, k.Value) {
			return nil, fmt.Errorf("CLI config file %s: unknown key %q (line %d); the keys are: %s", path, k.Value, k.Line, strings.Join(cliConfigKeys, ", "))
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("CLI config file %s: %s (line %d) must be a string", path, k.Value, k.Line)
		}
	}
	return &doc, nil
}

// configMapping returns the top-level mapping of a YAML document, or nil.
func configMapping(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return doc.Content[0]
}

// update rewrites the CLI config file with the keys of set changed (an
// empty value removes the key), keeping the other keys and comments. The
// directory is created 0700, the file is written 0600, through a
// temporary file renamed over it so that a crash leaves the old or the
// new file, never half of one.
func (c *cliConfig) update(set map[string]string) error {
	if c.path == "" {
		return fmt.Errorf("save the CLI config: no home directory to keep it in: set %s", envConfigDir)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	if b, err := os.ReadFile(c.path); err == nil {
		if d, err := parseCLIConfig(c.path, b); err != nil {
			return err
		} else if configMapping(d) != nil {
			doc = d
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read the CLI config file: %w", err)
	}
	m := configMapping(doc)
	for _, k := range cliConfigKeys { // in a stable order
		v, ok := set[k]
		if !ok {
			continue
		}
		i := -1 // the index of the key's node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == k {
				i = j
				break
			}
		}
		switch {
		case v == "" && i >= 0:
			m.Content = slices.Delete(m.Content, i, i+2)
		case v == "":
		case i >= 0:
			m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		default:
			m.Content = append(m.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
		}
		if v == "" {
			delete(c.values, k)
		} else {
			c.values[k] = v
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("save the CLI config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("save the CLI config: %w", err)
	}
	return writeFileAtomic(c.path, out.Bytes())
}

// writeFileAtomic writes b to path (mode 0600, its directory created
// 0700) through a temporary file in the same directory.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save the CLI config: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // CreateTemp makes it 0600
	if err != nil {
		return fmt.Errorf("save the CLI config: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("save the CLI config %s: %w", path, err)
	}
	return nil
}

// displayPath names the CLI config file in messages.
func (c *cliConfig) displayPath() string {
	if c.path == "" {
		return "the CLI config file"
	}
	return c.path
}

// filePath is the value of a path key of the file: a relative path is
// relative to the file's directory.
func (c *cliConfig) filePath(key string) string {
	v := c.values[key]
	if v == "" || filepath.IsAbs(v) || c.path == "" {
		return v
	}
	return filepath.Join(filepath.Dir(c.path), v)
}
