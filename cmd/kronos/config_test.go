package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// load parses args as kronos server flags and loads the config with environ.
// A non-empty yaml is written to a config file; "$FILE" in args and environ
// is replaced by its path.
func load(t *testing.T, args, environ []string, yaml string) (Config, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "kronos.yaml")
	if yaml != "" {
		if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	subst := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = strings.ReplaceAll(s, "$FILE", file)
		}
		return out
	}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	addServerFlags(fs)
	if err := fs.Parse(subst(args)); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return loadConfig(fs, subst(environ))
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	const fileAll = `
addr: 127.0.0.1:7001
data-dir: /tmp/from-file
log-level: warn
log-format: json
shutdown-timeout: 45s
node-id: file-node
`
	tests := []struct {
		name    string
		args    []string
		environ []string
		yaml    string
		check   func(t *testing.T, c Config)
	}{
		{
			name: "defaults",
			check: func(t *testing.T, c Config) {
				t.Helper()
				wantDB, _ := filepath.Abs("kronos-data/kronos.db")
				if c.Addr != ":8080" || c.DataDir != "./kronos-data" || c.LogLevel != slog.LevelInfo ||
					c.LogFormat != "text" || c.ShutdownTimeout != 30*time.Second || c.NodeID != "" ||
					len(c.Redis) != 0 || c.File != "" || !c.Store.Embedded || c.Store.Path != wantDB ||
					c.RetentionMaxAge != 720*time.Hour || c.RetentionKeepPerTask != 1000 || c.RetentionInterval != time.Minute {
					t.Errorf("defaults: %+v", c)
				}
			},
		},
		{
			name: "file beats defaults",
			args: []string{"--config", "$FILE"}, yaml: fileAll,
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Addr != "127.0.0.1:7001" || c.DataDir != "/tmp/from-file" || c.LogLevel != slog.LevelWarn ||
					c.LogFormat != "json" || c.ShutdownTimeout != 45*time.Second || c.NodeID != "file-node" ||
					c.Store.Path != "/tmp/from-file/kronos.db" {
					t.Errorf("from file: %+v", c)
				}
			},
		},
		{
			name: "env beats file",
			args: []string{"--config", "$FILE"}, yaml: fileAll,
			environ: []string{"KRONOS_ADDR=127.0.0.1:7002", "KRONOS_SHUTDOWN_TIMEOUT=1m", "KRONOS_LOG_LEVEL=debug"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Addr != "127.0.0.1:7002" || c.ShutdownTimeout != time.Minute || c.LogLevel != slog.LevelDebug {
					t.Errorf("env over file: %+v", c)
				}
				if c.LogFormat != "json" || c.DataDir != "/tmp/from-file" {
					t.Errorf("file values not set by env were lost: %+v", c)
				}
			},
		},
		{
			name: "flags beat env and file",
			args: []string{"--config", "$FILE", "--addr", "127.0.0.1:7003", "--shutdown-timeout", "5s", "--log-format=text"},
			yaml: fileAll, environ: []string{"KRONOS_ADDR=127.0.0.1:7002", "KRONOS_SHUTDOWN_TIMEOUT=1m"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Addr != "127.0.0.1:7003" || c.ShutdownTimeout != 5*time.Second || c.LogFormat != "text" {
					t.Errorf("flags over env and file: %+v", c)
				}
				if c.LogLevel != slog.LevelWarn {
					t.Errorf("file value not set by flags was lost: %+v", c)
				}
			},
		},
		{
			name: "a flag set to its default still beats env",
			args: []string{"--addr", ":8080"}, environ: []string{"KRONOS_ADDR=127.0.0.1:7002"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Addr != ":8080" {
					t.Errorf("Addr = %q, want the flag's :8080", c.Addr)
				}
			},
		},
		{
			name:    "KRONOS_CONFIG names the file",
			environ: []string{"KRONOS_CONFIG=$FILE"}, yaml: "addr: :7004\n",
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Addr != ":7004" || !strings.HasSuffix(c.File, "kronos.yaml") {
					t.Errorf("Addr %q File %q, want :7004 from the file", c.Addr, c.File)
				}
			},
		},
		{
			name:    "empty and unrelated KRONOS_ variables are ignored",
			environ: []string{"KRONOS_ADDR=", "KRONOS_TEST_MYSQL_DSN=root@tcp(127.0.0.1:3306)/", "KRONOS_ADDRESS=:1"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Addr != ":8080" {
					t.Errorf("Addr = %q, want the default", c.Addr)
				}
			},
		},
		{
			name: "redis from a file list, with a mysql store",
			args: []string{"--config", "$FILE"},
			yaml: "store: mysql://kronos:pw@db:3306/kronos\nredis:\n  - redis://:pw@r1:6379/0\n  - rediss://r2:6380\n",
			check: func(t *testing.T, c Config) {
				t.Helper()
				if !slices.Equal(c.Redis, []string{"redis://:pw@r1:6379/0", "rediss://r2:6380"}) {
					t.Errorf("Redis = %q", c.Redis)
				}
				if got := c.RedisRedacted(); !slices.Equal(got, []string{"redis://:xxxxx@r1:6379/0", "rediss://r2:6380"}) {
					t.Errorf("RedisRedacted = %q", got)
				}
				if c.Store.Driver != "mysql" || c.Store.String() != "mysql://kronos:xxxxx@db:3306/kronos" {
					t.Errorf("Store = %s (%s)", c.Store, c.Store.Driver)
				}
			},
		},
		{
			name:    "redis from a comma-separated env var",
			environ: []string{"KRONOS_STORE=mysql://root@db/kronos", "KRONOS_REDIS=redis://r1, redis://r2"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if !slices.Equal(c.Redis, []string{"redis://r1", "redis://r2"}) {
					t.Errorf("Redis = %q", c.Redis)
				}
			},
		},
		{
			name:    "redis flags replace env",
			args:    []string{"--redis", "redis://f1", "--redis", "redis://f2"},
			environ: []string{"KRONOS_STORE=mysql://root@db/kronos", "KRONOS_REDIS=redis://e1"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if !slices.Equal(c.Redis, []string{"redis://f1", "redis://f2"}) {
					t.Errorf("Redis = %q", c.Redis)
				}
			},
		},
		{
			name: "store from a sqlite URL",
			args: []string{"--store", "sqlite:///var/lib/k.db"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Store.Embedded || c.Store.Path != "/var/lib/k.db" {
					t.Errorf("Store = %+v", c.Store)
				}
			},
		},
		{
			name: "allow-private-networks from a flag",
			args: []string{"--allow-private-networks"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if !c.AllowPrivateNetworks {
					t.Error("AllowPrivateNetworks = false")
				}
			},
		},
		{
			name:    "allow-private-networks from env and file",
			args:    []string{"--config", "$FILE"},
			yaml:    "allow-private-networks: true\n",
			environ: []string{"KRONOS_ALLOW_PRIVATE_NETWORKS=false"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.AllowPrivateNetworks {
					t.Error("env false should beat the file's true")
				}
			},
		},
		{
			name:    "retention from the file, env and flags",
			args:    []string{"--config", "$FILE", "--retention-interval", "5m"},
			yaml:    "retention-max-age: 24h\nretention-keep-per-task: 50\nretention-interval: 10m\n",
			environ: []string{"KRONOS_RETENTION_KEEP_PER_TASK=20"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.RetentionMaxAge != 24*time.Hour || c.RetentionKeepPerTask != 20 || c.RetentionInterval != 5*time.Minute {
					t.Errorf("retention: max age %s, keep %d, interval %s", c.RetentionMaxAge, c.RetentionKeepPerTask, c.RetentionInterval)
				}
			},
		},
		{
			name:    "workers from env and flags",
			args:    []string{"--namespace-workers", "6"},
			environ: []string{"KRONOS_WORKERS=8"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.Workers != 8 || c.NamespaceWorkers != 6 {
					t.Errorf("workers %d, namespace workers %d; want 8 and 6", c.Workers, c.NamespaceWorkers)
				}
			},
		},
		{
			name: "retention rules off with 0",
			args: []string{"--retention-max-age", "0", "--retention-keep-per-task", "0"},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if c.RetentionMaxAge != 0 || c.RetentionKeepPerTask != 0 {
					t.Errorf("retention: max age %s, keep %d, want both 0", c.RetentionMaxAge, c.RetentionKeepPerTask)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(t, tt.args, tt.environ, tt.yaml)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		environ []string
		yaml    string
		want    []string // substrings of the error
	}{
		{
			name: "log level from a flag", args: []string{"--log-level", "verbose"},
			want: []string{`--log-level "verbose": use debug, info, warn or error`},
		},
		{
			name: "log format from env", environ: []string{"KRONOS_LOG_FORMAT=yaml"},
			want: []string{`KRONOS_LOG_FORMAT="yaml" (sets --log-format): use text or json`},
		},
		{
			name: "log level from the file", args: []string{"--config", "$FILE"}, yaml: "log-level: loud\n",
			want: []string{`log-level "loud" in `, `kronos.yaml (sets --log-level): use debug`},
		},
		{
			name: "addr without a colon", args: []string{"--addr", "8080"},
			want: []string{`--addr "8080": want host:port, such as :8080`},
		},
		{
			name: "addr port out of range", environ: []string{"KRONOS_ADDR=:99999"},
			want: []string{`KRONOS_ADDR=":99999"`, "not a number from 0 to 65535"},
		},
		{
			name: "addr as a YAML number", args: []string{"--config", "$FILE"}, yaml: "addr: 8080\n",
			want: []string{`addr "8080" in`, "want host:port"},
		},
		{
			name: "unknown store scheme, password hidden", args: []string{"--store", "postgres://u:hunter2@h/db"},
			want: []string{`--store "postgres://xxxxx@h/db"`, `unsupported scheme "postgres"`, "mysql://user:pass@host:3306/db"},
		},
		{
			name: "redis with the wrong scheme", args: []string{"--store", "mysql://root@db/k", "--redis", "http://r:6379"},
			want: []string{`--redis "http://r:6379": scheme must be redis or rediss`},
		},
		{
			name: "redis with the embedded store", environ: []string{"KRONOS_REDIS=redis://r:6379"},
			want: []string{`KRONOS_REDIS="redis://r:6379" (sets --redis): cluster mode needs a shared store; add --store mysql://`},
		},
		{
			name: "redis password hidden", args: []string{"--store", "mysql://root@db/k", "--redis", "redis://:hunter2@r:port"},
			want: []string{`--redis "redis://xxxxx@r:port"`},
		},
		{
			name: "shutdown timeout from env", environ: []string{"KRONOS_SHUTDOWN_TIMEOUT=soon"},
			want: []string{`KRONOS_SHUTDOWN_TIMEOUT="soon" (sets --shutdown-timeout): want a duration such as 30s`},
		},
		{
			name: "shutdown timeout zero", args: []string{"--shutdown-timeout", "0s"},
			want: []string{`--shutdown-timeout "0s": must be positive`},
		},
		{
			name: "node id", args: []string{"--node-id", "my node"},
			want: []string{`--node-id "my node": node ID "my node" has ' '`},
		},
		{
			name: "empty data dir", args: []string{"--data-dir", ""},
			want: []string{`--data-dir "": the data dir must not be empty`},
		},
		{
			name: "data dir is a file", args: []string{"--data-dir", notDir},
			want: []string{"exists and is not a directory"},
		},
		{
			name: "unknown key in the file", args: []string{"--config", "$FILE"}, yaml: "adr: :8080\n",
			want: []string{`unknown key "adr"; the keys are: addr, data-dir`},
		},
		{
			name: "nested key in the file", args: []string{"--config", "$FILE"}, yaml: "log:\n  level: debug\n",
			want: []string{`unknown key "log.level"`},
		},
		{
			name: "missing file", args: []string{"--config", "/nonexistent/kronos.yaml"},
			want: []string{"read config file /nonexistent/kronos.yaml"},
		},
		{
			name: "allow-private-networks not a bool", environ: []string{"KRONOS_ALLOW_PRIVATE_NETWORKS=sometimes"},
			want: []string{"KRONOS_ALLOW_PRIVATE_NETWORKS", "want true or false"},
		},
		{
			name: "retention max age negative", args: []string{"--retention-max-age", "-1h"},
			want: []string{`--retention-max-age "-1h0m0s": must not be negative; use 0 to keep`},
		},
		{
			name: "retention max age not a duration", environ: []string{"KRONOS_RETENTION_MAX_AGE=30d"},
			want: []string{`KRONOS_RETENTION_MAX_AGE="30d" (sets --retention-max-age): want a duration such as 720h`},
		},
		{
			name: "retention keep negative", args: []string{"--retention-keep-per-task", "-5"},
			want: []string{`--retention-keep-per-task "-5": must not be negative; use 0 to keep every execution`},
		},
		{
			name: "retention keep not a number", args: []string{"--config", "$FILE"}, yaml: "retention-keep-per-task: many\n",
			want: []string{`retention-keep-per-task "many" in`, "want a whole number such as 1000"},
		},
		{
			name: "retention interval zero", environ: []string{"KRONOS_RETENTION_INTERVAL=0s"},
			want: []string{`KRONOS_RETENTION_INTERVAL="0s" (sets --retention-interval): must be positive, such as 1m`},
		},
		{
			name: "workers negative", environ: []string{"KRONOS_WORKERS=-1"},
			want: []string{`KRONOS_WORKERS="-1" (sets --workers): must not be negative`},
		},
		{
			name: "namespace workers above workers", args: []string{"--workers", "4", "--namespace-workers", "5"},
			want: []string{`--namespace-workers "5": must not exceed --workers (4)`},
		},
		{
			name: "every problem at once", args: []string{"--log-level", "x", "--log-format", "y"},
			want: []string{"2 invalid settings:", "--log-level", "--log-format"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, tt.args, tt.environ, tt.yaml)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

// Command line mistakes exit 2 with a message that says what to do, and
// start nothing.
func TestExecuteUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad flag value", []string{"server", "--shutdown-timeout", "soon"}, `run "kronos server --help" for usage`},
		{"unknown flag", []string{"server", "--adrress", ":1"}, "unknown flag: --adrress"},
		{"invalid setting", []string{"server", "--log-level", "loud"}, `--log-level "loud": use debug`},
		{"stray argument", []string{"server", "now"}, `kronos server takes no arguments, got ["now"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := execute(t.Context(), tt.args, &stdout, &stderr)
			if code != 2 {
				t.Fatalf("exit code %d, want 2; stderr %q", code, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), "kronos: ") || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q, want it to start with \"kronos: \" and contain %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestExecuteHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := execute(t.Context(), []string{"server", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr %q", code, stderr.String())
	}
	for _, want := range []string{"--data-dir string", "[$KRONOS_DATA_DIR]", "--shutdown-timeout duration", "Precedence"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help does not contain %q:\n%s", want, stdout.String())
		}
	}
}

func TestExecuteVersion(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := execute(t.Context(), []string{"version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr %q", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "kronos dev\ncommit: ") || !strings.Contains(stdout.String(), "go: go1.") {
		t.Errorf("version output %q", stdout.String())
	}
}

func TestBrowseURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"[::]:8080":      "http://localhost:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		"127.0.0.1:9090": "http://127.0.0.1:9090",
		"[::1]:9090":     "http://[::1]:9090",
	}
	for in, want := range tests {
		if got := browseURL(fakeAddr(in)); got != want {
			t.Errorf("browseURL(%s) = %s, want %s", in, got, want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

// TestAuthSettings: --dev only on loopback, TLS files together and
// readable, the keyring from KRONOS_SECRET_KEY.
func TestAuthSettings(t *testing.T) {
	for _, addr := range []string{"localhost:8080", "127.0.0.1:0", "[::1]:8080"} {
		if _, err := load(t, []string{"--addr", addr, "--dev"}, nil, ""); err != nil {
			t.Errorf("--dev on %s: %v", addr, err)
		}
	}
	for _, addr := range []string{":8080", "0.0.0.0:8080", "10.0.0.1:8080"} {
		if _, err := load(t, []string{"--addr", addr, "--dev"}, nil, ""); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--dev on %s: %v, want a refusal that says loopback", addr, err)
		}
	}
	if _, err := load(t, []string{"--tls-cert", "/nonexistent.crt"}, nil, ""); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("--tls-cert alone: %v", err)
	}
	if _, err := load(t, []string{"--client-ca", "/nonexistent.crt"}, nil, ""); err == nil || !strings.Contains(err.Error(), "HTTPS") {
		t.Errorf("--client-ca without TLS: %v", err)
	}
	key := "k1 " + strings.Repeat("ab", 32)
	cfg, err := load(t, nil, []string{"KRONOS_SECRET_KEY=" + key}, "")
	if err != nil || cfg.SecretKey != key {
		t.Errorf("KRONOS_SECRET_KEY: %q, %v", cfg.SecretKey, err)
	}
	if _, err := load(t, []string{"--secret-key-file", "/x"}, []string{"KRONOS_SECRET_KEY=" + key}, ""); err == nil {
		t.Error("KRONOS_SECRET_KEY with --secret-key-file: accepted")
	}
	if _, err := load(t, []string{"--rate-limit", "-1"}, nil, ""); err == nil {
		t.Error("--rate-limit -1: accepted")
	}
}
