package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/cmd/kronos/internal/datadir"
	"github.com/shiyu-coder/kronos/cmd/kronos/internal/storeurl"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/retention"
	"github.com/shiyu-coder/kronos/core/store"
)

// envPrefix starts the environment variable of every server setting:
// --data-dir is KRONOS_DATA_DIR.
const envPrefix = "KRONOS_"

// Names of the server settings. Each is a flag (--addr), an environment
// variable (KRONOS_ADDR) and a config file key (addr).
const (
	keyAddr            = "addr"
	keyDataDir         = "data-dir"
	keyStore           = "store"
	keyRedis           = "redis"
	keyNodeID          = "node-id"
	keyLogLevel        = "log-level"
	keyLogFormat       = "log-format"
	keyShutdownTimeout = "shutdown-timeout"
	keyAllowPrivate    = "allow-private-networks"
	keyRetentionMaxAge = "retention-max-age"
	keyRetentionKeep   = "retention-keep-per-task"
	keyRetentionEvery  = "retention-interval"
	keySecretKeyFile   = "secret-key-file"
	keyWorkers         = "workers"
	keyNSWorkers       = "namespace-workers"
	keyDev             = "dev"
	keyTLSCert         = "tls-cert"
	keyTLSKey          = "tls-key"
	keyClientCA        = "client-ca"
	keyRateLimit       = "rate-limit"
	keyRateBurst       = "rate-burst"
	keyAuditMaxAge     = "audit-retention"
	keyPartitions      = "partitions"
	keyLeaseTTL        = "lease-ttl"
	keyAdvertise       = "advertise-addr"
	keyRedisPrefix     = "redis-prefix"
	keyWasmCacheDir    = "wasm-cache-dir"
	// keyConfig names the config file; it is a flag and an environment
	// variable, not a key in the file.
	keyConfig = "config"
)

// Defaults of the server settings.
const (
	defaultAddr            = ":8080"
	defaultDataDir         = "./kronos-data"
	defaultLogLevel        = "info"
	defaultLogFormat       = "text"
	defaultShutdownTimeout = 30 * time.Second
	defaultRetentionMaxAge = retention.DefaultMaxAge
	defaultRetentionKeep   = retention.DefaultKeepPerTask
	defaultRetentionEvery  = retention.DefaultInterval
)

// fileKeys are the keys a config file may set.
var fileKeys = []string{
	keyAddr, keyDataDir, keyStore, keyRedis, keyNodeID,
	keyLogLevel, keyLogFormat, keyShutdownTimeout, keyAllowPrivate,
	keyRetentionMaxAge, keyRetentionKeep, keyRetentionEvery,
	keyWorkers, keyNSWorkers, keySecretKeyFile,
	keyDev, keyTLSCert, keyTLSKey, keyClientCA, keyRateLimit, keyRateBurst, keyAuditMaxAge,
	keyPartitions, keyLeaseTTL, keyAdvertise, keyRedisPrefix, keyWasmCacheDir,
}

// Config is the validated configuration of kronos server.
type Config struct {
	// Addr is the HTTP listen address, host:port. Defaults to ":8080".
	Addr string
	// DataDir holds the lock, the node ID and the embedded store. Defaults
	// to "./kronos-data".
	DataDir string
	// Store is the parsed --store. Defaults to SQLite in DataDir.
	Store storeurl.Target
	// Redis are the Redis URLs for cluster mode, possibly with passwords;
	// log RedisRedacted instead. Defaults to none.
	Redis []string
	// NodeID names this node; empty means the one kept in DataDir.
	NodeID string
	// LogLevel is the lowest level logged. Defaults to info.
	LogLevel slog.Level
	// LogFormat is "text" or "json". Defaults to "text".
	LogFormat string
	// ShutdownTimeout bounds the wait for open requests at shutdown.
	// Defaults to 30s.
	ShutdownTimeout time.Duration
	// AllowPrivateNetworks lets plugins reach loopback, private,
	// link-local and metadata addresses, for local development. Defaults
	// to false.
	AllowPrivateNetworks bool
	// RetentionMaxAge is how long a finished execution and its log lines
	// are kept after it finished; 0 keeps them whatever their age.
	// Defaults to 720h (30 days).
	RetentionMaxAge time.Duration
	// RetentionKeepPerTask is how many of its newest executions each task
	// keeps; older finished ones are deleted. 0 keeps them all. Defaults
	// to 1000.
	RetentionKeepPerTask int
	// RetentionInterval is the time between two retention passes, which
	// also delete expired key-value pairs. Defaults to 1m.
	RetentionInterval time.Duration
	// SecretKeyFile is the keyring that seals secrets; empty means the one
	// kept in DataDir (created at the first start).
	SecretKeyFile string
	// SecretKey is the keyring itself, from the environment variable
	// KRONOS_SECRET_KEY only (never a flag or a file key: a flag shows in
	// the process list). It beats SecretKeyFile.
	SecretKey string
	// Workers bounds the executions running at once on this node; 0 is
	// the engine's default (16 per CPU).
	Workers int
	// NamespaceWorkers bounds one namespace's share of Workers; 0 is the
	// engine's default (three quarters of Workers).
	NamespaceWorkers int
	// Dev lets requests without credentials act as an owner. Only on a
	// loopback --addr; the server says so in its log.
	Dev bool
	// TLSCert and TLSKey, both or neither, make the server speak HTTPS.
	TLSCert, TLSKey string
	// ClientCA, with TLS, accepts client certificates signed by it as
	// credentials (bound to roles with kronos tokens create --subject).
	ClientCA string
	// RateLimit is each principal's requests per second on this node; 0
	// turns the limit off. RateBurst is the bucket size.
	RateLimit float64
	RateBurst int
	// AuditMaxAge is how long audit events are kept; 0 keeps them all.
	AuditMaxAge time.Duration
	// Partitions is the partition count a new cluster is created with;
	// an existing cluster keeps its own. Cluster mode only.
	Partitions int
	// LeaseTTL is how long a partition lease lasts unless extended.
	LeaseTTL time.Duration
	// AdvertiseAddr is the API URL other nodes and the nodes API show for
	// this node; empty derives it from the hostname and the port.
	AdvertiseAddr string
	// RedisPrefix starts every Redis key and channel of the cluster, so
	// that clusters can share a Redis.
	RedisPrefix string
	// WasmCacheDir holds the compiled plugins' native code (wazero's
	// compilation cache), created 0700. Empty means the one every kronos
	// process of the user shares: <user cache dir>/kronos/wasm-cache, or
	// <data-dir>/wasm-cache when the user has none; "off" (wasmCacheOff) keeps
	// compilations in memory only. Defaults to empty.
	WasmCacheDir string
	// File is the config file read, or "".
	File string
}

// RedisRedacted returns the Redis URLs with passwords hidden, for logs.
func (c Config) RedisRedacted() []string {
	out := make([]string, len(c.Redis))
	for i, r := range c.Redis {
		u, err := url.Parse(r)
		if err != nil {
			out[i] = storeurl.Redact(r)
			continue
		}
		out[i] = u.Redacted()
	}
	return out
}

// addServerFlags defines the server settings on fs.
func addServerFlags(fs *pflag.FlagSet) {
	fs.String(keyConfig, "", "YAML config `file` whose keys are these flags' names (log-level: debug)")
	fs.String(keyAddr, defaultAddr, "HTTP listen address, host:port (port 0 picks a free one)")
	fs.String(keyDataDir, defaultDataDir, "data directory: lock, node ID and the embedded SQLite store; created 0700 if missing")
	fs.String(keyStore, "", "store URL: empty for SQLite in the data dir, sqlite:///abs/path.db, sqlite://rel/path.db, or mysql://user:pass@host:3306/db?params")
	fs.StringSlice(keyRedis, nil, "Redis URLs for cluster mode, redis:// or rediss:// (repeat or comma-separate; needs --store mysql://…)")
	fs.String(keyNodeID, "", "this node's ID (default: generated once into <data-dir>/node-id)")
	fs.String(keyLogLevel, defaultLogLevel, "log level: debug, info, warn or error")
	fs.String(keyLogFormat, defaultLogFormat, "log format: text or json")
	fs.Duration(keyShutdownTimeout, defaultShutdownTimeout, "how long shutdown waits for open requests")
	fs.Bool(keyAllowPrivate, false, "let plugins reach loopback, private, link-local and cloud-metadata addresses (local development only)")
	fs.Duration(keyRetentionMaxAge, defaultRetentionMaxAge, "delete finished executions and their logs this long after they finished (0 keeps them whatever their age)")
	fs.Int(keyRetentionKeep, defaultRetentionKeep, "keep this many of each task's newest executions and delete older finished ones (0 keeps them all)")
	fs.Duration(keyRetentionEvery, defaultRetentionEvery, "time between two retention passes, which also delete expired key-value pairs")
	fs.String(keySecretKeyFile, "", "file of the keys that seal secrets, one \"ID HEX\" line each, the first sealing (default: generated once into <data-dir>/secret.keys)")
	fs.Int(keyWorkers, 0, "executions running at once on this node (0: 16 per CPU)")
	fs.Int(keyNSWorkers, 0, "executions of one namespace running at once on this node, so that one tenant cannot take every worker (0: three quarters of --workers)")
	fs.Bool(keyDev, false, "let requests without credentials act as an owner (local development; only with a loopback --addr such as localhost:8080)")
	fs.String(keyTLSCert, "", "PEM certificate `file` to serve HTTPS with (with --tls-key)")
	fs.String(keyTLSKey, "", "PEM private key `file` of --tls-cert")
	fs.String(keyClientCA, "", "PEM CA `file`: accept client certificates it signed as credentials (needs --tls-cert; kronos pki makes one)")
	fs.Float64(keyRateLimit, api.DefaultRatePerSecond, "API requests per second each token or certificate may make on this node (0: no limit)")
	fs.Int(keyRateBurst, api.DefaultRateBurst, "requests a token may make at once before --rate-limit applies")
	fs.Int(keyPartitions, engine.DefaultPartitions, "partitions tasks hash into, for a new cluster (an existing one keeps its count)")
	fs.Duration(keyLeaseTTL, 10*time.Second, "how long a node's hold on a partition lasts unless extended: the bound on failover after a node dies")
	fs.String(keyAdvertise, "", "API URL other nodes show for this one (default: http://<hostname>:<port>)")
	fs.String(keyRedisPrefix, "kronos:", "prefix of the cluster's Redis keys and channel, so that clusters can share a Redis")
	fs.Duration(keyAuditMaxAge, retention.DefaultAuditMaxAge, "delete audit events this long after they happened (0 keeps them all)")
	fs.String(keyWasmCacheDir, "", "`dir` of the compiled plugins' native code, created 0700 (default: <user cache dir>/kronos/wasm-cache, shared by the user's kronos processes; \""+wasmCacheOff+"\" keeps it in memory)")
	fs.VisitAll(func(f *pflag.Flag) {
		f.Usage += " [$" + envName(f.Name) + "]"
	})
}

// envSecretKey holds the secret keyring itself ("ID HEX" lines, or
// several separated by a literal \n), for deployments that pass secrets in
// the environment.
const envSecretKey = envPrefix + "SECRET_KEY"

// envName returns the environment variable of setting name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// origin is where a setting's value came from.
type origin struct {
	kind string // "flag", "env", "file" or "default"
	file string // the config file, for kind "file"
}

// describe names a setting and its value the way the user wrote it, so an
// error points at the thing to fix: --addr "x", KRONOS_ADDR="x", or addr "x"
// in kronos.yaml.
func (o origin) describe(name, value string) string {
	if name == keyStore || name == keyRedis {
		value = storeurl.Redact(value)
	}
	switch o.kind {
	case "flag":
		return fmt.Sprintf("--%s %q", name, value)
	case "env":
		return fmt.Sprintf("%s=%q (sets --%s)", envName(name), value, name)
	case "file":
		return fmt.Sprintf("%s %q in %s (sets --%s)", name, value, o.file, name)
	default:
		return fmt.Sprintf("--%s default %q", name, value)
	}
}

// loadConfig reads the server settings with the precedence
// defaults < config file < environment < flags, and validates them. fs must
// have been parsed; environ is os.Environ() outside tests. All problems are
// reported at once.
func loadConfig(fs *pflag.FlagSet, environ []string) (Config, error) {
	envs := envMap(environ)
	var cfg Config

	// The config file: --config, else KRONOS_CONFIG.
	cfg.File, _ = fs.GetString(keyConfig)
	if !fs.Changed(keyConfig) {
		cfg.File = envs[envName(keyConfig)]
	}
	fileK := koanf.New(".")
	if cfg.File != "" {
		if err := fileK.Load(file.Provider(cfg.File), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("read config file %s (from --config or %s): %w", cfg.File, envName(keyConfig), err)
		}
		for _, k := range fileK.Keys() {
			if !slices.Contains(fileKeys, k) {
				return Config{}, fmt.Errorf("config file %s: unknown key %q; the keys are: %s", cfg.File, k, strings.Join(fileKeys, ", "))
			}
		}
	}

	// The environment: KRONOS_<NAME> for each known setting. An empty
	// variable counts as unset.
	envK := koanf.New(".")
	if err := envK.Load(env.Provider("", env.Opt{
		Prefix: envPrefix,
		EnvironFunc: func() []string {
			return environ
		},
		TransformFunc: func(k, v string) (string, any) {
			for _, name := range fileKeys {
				if k == envName(name) && v != "" {
					if name == keyRedis {
						return name, splitList(v)
					}
					return name, v
				}
			}
			return "", nil
		},
	}), nil); err != nil {
		return Config{}, fmt.Errorf("read environment: %w", err)
	}

	// Merge: file, then environment, then flags. posflag with k takes every
	// flag the user set, and the default of each flag nothing else set.
	k := koanf.New(".")
	if err := k.Merge(fileK); err != nil {
		return Config{}, err
	}
	if err := k.Merge(envK); err != nil {
		return Config{}, err
	}
	if err := k.Load(posflag.Provider(fs, ".", k), nil); err != nil {
		return Config{}, fmt.Errorf("read flags: %w", err)
	}

	originOf := func(name string) origin {
		switch {
		case fs.Changed(name):
			return origin{kind: "flag"}
		case envK.Exists(name):
			return origin{kind: "env"}
		case fileK.Exists(name):
			return origin{kind: "file", file: cfg.File}
		default:
			return origin{kind: "default"}
		}
	}

	var errs []error
	// bad records a problem with setting name; fix says what to write.
	bad := func(name, value, fix string) {
		errs = append(errs, fmt.Errorf("%s: %s", originOf(name).describe(name, value), fix))
	}
	str := func(name string) string {
		v := k.Get(name)
		switch v := v.(type) {
		case string:
			return strings.TrimSpace(v)
		case nil:
			return ""
		case map[string]any, []any:
			bad(name, fmt.Sprint(v), "want a single value")
			return ""
		default:
			return fmt.Sprint(v)
		}
	}

	cfg.Addr = str(keyAddr)
	if err := checkAddr(cfg.Addr); err != nil {
		bad(keyAddr, cfg.Addr, err.Error())
	}

	cfg.DataDir = str(keyDataDir)
	if cfg.DataDir == "" {
		bad(keyDataDir, cfg.DataDir, "the data dir must not be empty; the default is "+defaultDataDir)
	} else if fi, err := os.Stat(cfg.DataDir); err == nil && !fi.IsDir() {
		bad(keyDataDir, cfg.DataDir, "exists and is not a directory; choose a directory")
	}

	rawStore := str(keyStore)
	if cfg.DataDir != "" {
		var perr error
		if cfg.Store, perr = storeurl.Parse(rawStore, cfg.DataDir); perr != nil {
			bad(keyStore, rawStore, perr.Error())
		}
	}

	for _, r := range redisList(k.Get(keyRedis)) {
		if err := checkRedisURL(r); err != nil {
			bad(keyRedis, r, err.Error())
			continue
		}
		cfg.Redis = append(cfg.Redis, r)
	}
	if len(cfg.Redis) > 0 && cfg.Store.Driver == storeurl.SQLite {
		errs = append(errs, fmt.Errorf("%s: cluster mode needs a shared store; add --store mysql://user:pass@host:3306/kronos, or drop --redis to run one embedded node",
			originOf(keyRedis).describe(keyRedis, strings.Join(cfg.Redis, ","))))
	}

	cfg.WasmCacheDir = str(keyWasmCacheDir)
	cfg.SecretKeyFile = str(keySecretKeyFile)
	if v := strings.TrimSpace(envs[envSecretKey]); v != "" {
		cfg.SecretKey = strings.ReplaceAll(v, `\n`, "\n")
		if cfg.SecretKeyFile != "" {
			errs = append(errs, fmt.Errorf("%s and --secret-key-file (or %s) both give the secret keys: keep one", envSecretKey, envName(keySecretKeyFile)))
		}
	}
	cfg.NodeID = str(keyNodeID)
	if cfg.NodeID != "" {
		if err := datadir.CheckNodeID(cfg.NodeID); err != nil {
			bad(keyNodeID, cfg.NodeID, err.Error()+"; or leave it unset to use the one kept in the data dir")
		}
	}

	level := str(keyLogLevel)
	switch strings.ToLower(level) {
	case "debug":
		cfg.LogLevel = slog.LevelDebug
	case "info":
		cfg.LogLevel = slog.LevelInfo
	case "warn", "warning":
		cfg.LogLevel = slog.LevelWarn
	case "error":
		cfg.LogLevel = slog.LevelError
	default:
		bad(keyLogLevel, level, "use debug, info, warn or error")
	}

	cfg.LogFormat = strings.ToLower(str(keyLogFormat))
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		bad(keyLogFormat, cfg.LogFormat, "use text or json")
	}

	// duration reads a duration setting; ok is false when it does not
	// parse (and was reported). examples shows the form.
	duration := func(name, examples string) (time.Duration, bool) {
		if d, ok := k.Get(name).(time.Duration); ok {
			return d, true // from the flag
		}
		s := str(name)
		d, err := time.ParseDuration(s)
		if err != nil {
			bad(name, s, "want a duration such as "+examples)
			return 0, false
		}
		return d, true
	}

	var timeoutOK bool
	if cfg.ShutdownTimeout, timeoutOK = duration(keyShutdownTimeout, "30s or 1m30s"); timeoutOK && cfg.ShutdownTimeout <= 0 {
		bad(keyShutdownTimeout, cfg.ShutdownTimeout.String(), "must be positive, such as 30s")
	}

	var durOK bool
	if cfg.RetentionMaxAge, durOK = duration(keyRetentionMaxAge, "720h (30 days) or 0 to keep executions whatever their age"); durOK && cfg.RetentionMaxAge < 0 {
		bad(keyRetentionMaxAge, cfg.RetentionMaxAge.String(), "must not be negative; use 0 to keep executions whatever their age, or a duration such as 720h")
	}
	if cfg.RetentionInterval, durOK = duration(keyRetentionEvery, "1m or 10m"); durOK && cfg.RetentionInterval <= 0 {
		bad(keyRetentionEvery, cfg.RetentionInterval.String(), "must be positive, such as 1m")
	}
	count := func(key, want string) int {
		switch v := k.Get(key).(type) {
		case int:
			return v // from the flag or the file
		default:
			s := str(key)
			n, perr := strconv.Atoi(s)
			if perr != nil {
				bad(key, s, want)
			}
			return n
		}
	}
	cfg.RetentionKeepPerTask = count(keyRetentionKeep, "want a whole number such as 1000, or 0 to keep every execution")
	cfg.Workers = count(keyWorkers, "want a whole number such as 64, or 0 for 16 per CPU")
	cfg.NamespaceWorkers = count(keyNSWorkers, "want a whole number such as 48, or 0 for three quarters of --workers")
	if cfg.Workers < 0 {
		bad(keyWorkers, strconv.Itoa(cfg.Workers), "must not be negative; use 0 for 16 per CPU, or a count such as 64")
	}
	if cfg.NamespaceWorkers < 0 {
		bad(keyNSWorkers, strconv.Itoa(cfg.NamespaceWorkers), "must not be negative; use 0 for three quarters of --workers, or a count such as 48")
	}
	if cfg.Workers > 0 && cfg.NamespaceWorkers > cfg.Workers {
		bad(keyNSWorkers, strconv.Itoa(cfg.NamespaceWorkers), fmt.Sprintf("must not exceed --workers (%d); a namespace cannot run more than the node", cfg.Workers))
	}
	if cfg.RetentionKeepPerTask < 0 {
		bad(keyRetentionKeep, strconv.Itoa(cfg.RetentionKeepPerTask), "must not be negative; use 0 to keep every execution, or a count such as 1000")
	}

	boolean := func(key string) bool {
		switch v := k.Get(key).(type) {
		case bool:
			return v
		default:
			s := str(key)
			b, perr := strconv.ParseBool(s)
			if perr != nil {
				bad(key, s, "want true or false")
			}
			return b
		}
	}
	cfg.AllowPrivateNetworks = boolean(keyAllowPrivate)
	cfg.Dev = boolean(keyDev)
	if cfg.Dev && cfg.Addr != "" && !loopback(cfg.Addr) {
		bad(keyDev, "true", fmt.Sprintf("anonymous access is only for a server on loopback, and --addr %s is not; use --addr localhost:8080, or drop --dev and use the owner token written to <data-dir>/%s", cfg.Addr, ownerTokenFile))
	}

	cfg.TLSCert, cfg.TLSKey, cfg.ClientCA = str(keyTLSCert), str(keyTLSKey), str(keyClientCA)
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		bad(keyTLSCert, cfg.TLSCert, "--tls-cert and --tls-key go together: give both files, or neither for plain HTTP")
	}
	if cfg.ClientCA != "" && cfg.TLSCert == "" {
		bad(keyClientCA, cfg.ClientCA, "client certificates need HTTPS: add --tls-cert and --tls-key (kronos pki issue server makes them)")
	}
	for _, key := range []string{keyTLSCert, keyTLSKey, keyClientCA} {
		if f := str(key); f != "" {
			if _, err := os.Stat(f); err != nil {
				bad(key, f, "cannot be read: "+err.Error())
			}
		}
	}

	switch v := k.Get(keyRateLimit).(type) {
	case float64:
		cfg.RateLimit = v
	default:
		s := str(keyRateLimit)
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			bad(keyRateLimit, s, "want requests per second such as 50, or 0 for no limit")
		}
		cfg.RateLimit = f
	}
	if cfg.RateLimit < 0 {
		bad(keyRateLimit, fmt.Sprint(cfg.RateLimit), "must not be negative; use 0 for no limit")
	}
	cfg.RateBurst = count(keyRateBurst, "want a whole number such as 200")
	if cfg.RateBurst < 0 {
		bad(keyRateBurst, strconv.Itoa(cfg.RateBurst), "must not be negative")
	}
	cfg.Partitions = count(keyPartitions, "want a whole number such as 256")
	if cfg.Partitions < 1 || cfg.Partitions > store.MaxPartitions {
		bad(keyPartitions, strconv.Itoa(cfg.Partitions), fmt.Sprintf("must be from 1 to %d; 256 suits clusters of up to a few dozen nodes", store.MaxPartitions))
	}
	if cfg.LeaseTTL, durOK = duration(keyLeaseTTL, "10s"); durOK && cfg.LeaseTTL < time.Second {
		bad(keyLeaseTTL, cfg.LeaseTTL.String(), "must be at least 1s; 10s fails over within 10 s of a node's death")
	}
	cfg.AdvertiseAddr = str(keyAdvertise)
	if cfg.AdvertiseAddr != "" {
		if u, err := url.Parse(cfg.AdvertiseAddr); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(keyAdvertise, cfg.AdvertiseAddr, "want the node's API URL, such as http://node-1.internal:8080")
		}
	}
	cfg.RedisPrefix = str(keyRedisPrefix)
	if cfg.AuditMaxAge, durOK = duration(keyAuditMaxAge, "2160h (90 days) or 0 to keep audit events forever"); durOK && cfg.AuditMaxAge < 0 {
		bad(keyAuditMaxAge, cfg.AuditMaxAge.String(), "must not be negative; use 0 to keep audit events forever")
	}

	if len(errs) > 0 {
		return Config{}, &configError{errs: errs}
	}
	return cfg, nil
}

// configError lists every invalid setting, one per line.
type configError struct {
	errs []error
}

func (e *configError) Error() string {
	if len(e.errs) == 1 {
		return "invalid setting: " + e.errs[0].Error()
	}
	lines := make([]string, 0, len(e.errs)+1)
	lines = append(lines, strconv.Itoa(len(e.errs))+" invalid settings:")
	for _, err := range e.errs {
		lines = append(lines, "  "+err.Error())
	}
	return strings.Join(lines, "\n")
}

func (e *configError) Unwrap() []error { return e.errs }

// checkAddr checks a listen address.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, such as :8080 (every interface) or 127.0.0.1:8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535, such as %s:8080", port, host)
	}
	return nil
}

// loopback reports whether a listen address only takes connections from
// this machine: localhost or a loopback IP, not a wildcard.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkRedisURL checks one --redis URL.
func checkRedisURL(raw string) error {
	const example = "redis://:password@host:6379/0 or rediss://host:6380"
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a Redis URL; write it as %s", example)
	}
	switch {
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return fmt.Errorf("scheme must be redis or rediss (TLS); write it as %s", example)
	case u.Hostname() == "":
		return fmt.Errorf("names no host; write it as %s", example)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return fmt.Errorf("the path must be a database number such as /0, not %q", u.Path)
		}
	}
	return nil
}

// redisList turns the merged --redis value (a list from flags or the file,
// a comma-separated string from the environment or the file) into URLs.
func redisList(v any) []string {
	var out []string
	switch v := v.(type) {
	case []string:
		for _, s := range v {
			out = append(out, splitList(s)...)
		}
	case []any:
		for _, s := range v {
			out = append(out, splitList(fmt.Sprint(s))...)
		}
	case string:
		out = splitList(v)
	case nil:
	default:
		out = splitList(fmt.Sprint(v))
	}
	return out
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// envMap turns an environ list into a map.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
