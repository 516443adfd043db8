package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oklog/run"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/shiyu-coder/kronos/api"
	"github.com/shiyu-coder/kronos/cmd/kronos/internal/datadir"
	"github.com/shiyu-coder/kronos/cmd/kronos/internal/storeurl"
	"github.com/shiyu-coder/kronos/core/auth"
	"github.com/shiyu-coder/kronos/core/changes"
	"github.com/shiyu-coder/kronos/core/engine"
	"github.com/shiyu-coder/kronos/core/retention"
	"github.com/shiyu-coder/kronos/core/secrets"
	"github.com/shiyu-coder/kronos/openapi"
	"github.com/shiyu-coder/kronos/ui"
)

// HTTP server limits. There is no WriteTimeout: log follow (server-sent
// events, a later issue) streams for as long as the client listens, so
// handlers set their own write deadlines with http.ResponseController.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 1 << 20
)

// errShuttingDown is what /readyz reports once shutdown has begun.
var errShuttingDown = errors.New("shutting down")

func newServerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a Kronos node",
		Long: `Run a Kronos node.

With no flags it runs one embedded node: SQLite at ./kronos-data/kronos.db,
HTTP on :8080. A second server on the same --data-dir is refused.
Cluster mode (--store mysql://… --redis redis://…) joins the nodes that share
that database and Redis: they split the partitions, fence claims in SQL and
take over a node that stops (docs/cluster.md).

Every flag can also be set with the environment variable shown beside it, or
in a YAML file given with --config (keys are the flag names). Precedence:
flags > environment > config file > defaults.

Endpoints: GET /healthz (liveness), GET /readyz (readiness: the store
answers; 503 while shutting down), GET /metrics (Prometheus). SIGINT or
SIGTERM shuts down gracefully.

The server answers at once; the plugins compile in the background (the
built-in script plugin takes seconds the first time, then loads from the
compilation cache, --wasm-cache-dir). A task that needs one still compiling
waits for it; /readyz does not.`,
		Example: `  kronos server
  kronos server --addr 127.0.0.1:9090 --data-dir /var/lib/kronos --log-format json
  KRONOS_LOG_LEVEL=debug kronos server --config /etc/kronos/kronos.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &usageError{err: fmtUsage(cmd, fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.Flags(), os.Environ())
			if err != nil {
				return &usageError{err: err}
			}
			return runServer(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	addServerFlags(fs)
	fs.SortFlags = false
	_ = cmd.MarkFlagFilename(keyConfig, "yaml", "yml")
	_ = cmd.MarkFlagDirname(keyDataDir)
	_ = cmd.RegisterFlagCompletionFunc(keyLogLevel, cobra.FixedCompletions(
		[]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc(keyLogFormat, cobra.FixedCompletions(
		[]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// runServer runs a node until ctx ends or SIGINT/SIGTERM arrives, logging to
// logOut. It returns nil after a graceful shutdown.
//
// Start-up, in order: check the built-in plugins, lock the data dir, settle
// the node ID, listen, open the store, start the Wasm runtime, the engine
// and retention, serve while the plugins compile in the background.
// Shutdown runs the other way: stop serving (waiting up to
// cfg.ShutdownTimeout for open requests), stop the engine and retention,
// let a plugin compilation in progress finish, close the Wasm runtime,
// close the store, release the lock.
func runServer(parent context.Context, cfg Config, logOut io.Writer) (err error) {
	log := newLogger(logOut, cfg.LogLevel, cfg.LogFormat)
	slog.SetDefault(log)

	// The first SIGINT or SIGTERM ends ctx; stopSignals restores the
	// default, so a second one kills the process at once.
	ctx, stopSignals := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	defer func() {
		if err == nil {
			log.Info("kronos stopped")
		}
	}()

	// 0. The built-in plugins must be in the binary.
	builtins, err := builtinPlugins()
	if err != nil {
		return err
	}

	// 1. Lock the data dir: one server per data dir.
	host, _ := os.Hostname()
	owner := datadir.Owner{PID: os.Getpid(), Host: host, Addr: cfg.Addr, Started: time.Now().UTC(), Version: version}
	lock, err := datadir.Acquire(cfg.DataDir, owner)
	if err != nil {
		return dataDirError(err, cfg)
	}
	defer func() {
		if rerr := lock.Release(); rerr != nil {
			log.Error("release data dir lock", "path", lock.Path(), "err", rerr)
			return
		}
		log.Info("data dir lock released", "path", lock.Path())
	}()
	log.Debug("data dir locked", "path", lock.Path())

	// 2. The node ID: the flag, else the one kept in the data dir.
	nodeID := cfg.NodeID
	if nodeID == "" {
		var created bool
		if nodeID, created, err = datadir.NodeID(cfg.DataDir); err != nil {
			return err
		}
		if created {
			log.Info("generated a node ID and saved it in the data dir", "node_id", nodeID, "file", datadir.NodeIDFile)
		}
	}

	// 3. Listen before opening the store, so a taken port fails fast.
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on --addr %s: %w; choose a free port (such as --addr :8081) or stop what is using it", cfg.Addr, err)
	}
	defer ln.Close() // Already closed by the HTTP server after a normal start; closing twice is harmless.
	owner.Addr = ln.Addr().String()
	if err := lock.SetOwner(owner); err != nil {
		return err
	}

	// 4. Open the store (the driver applies its migrations).
	log.Info("opening store", "driver", cfg.Store.Driver, "store", cfg.Store.String())
	if len(cfg.Redis) > 0 {
		// A node paused inside a claim must not keep its partitions'
		// rows locked longer than its leases last (docs/cluster.md).
		cfg.Store.IdleSessionTimeout = cfg.LeaseTTL
	}
	st, err := storeurl.Open(ctx, cfg.Store, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			log.Error("close store", "err", cerr)
			return
		}
		log.Info("store closed")
	}()

	// 5. The secret keys, then the Wasm runtime (its plugins compile in
	// the background once serving, step 9).
	keyring, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	vault := &secrets.Vault{Store: st, Keyring: keyring}

	// 5b. Credentials: the key tokens are hashed with, the first owner
	// token on a new store, and anonymous access for --dev on loopback.
	hashKey, err := vault.TokenHashKey(ctx)
	if err != nil {
		return err
	}
	if err := bootstrapOwner(ctx, st, hashKey, cfg.DataDir, logOut, log); err != nil {
		return err
	}
	authn, err := api.NewAuthenticator(api.AuthConfig{Store: st, HashKey: hashKey, Anonymous: cfg.Dev, Logger: log.With("component", "auth")})
	if err != nil {
		return err
	}
	if cfg.Dev {
		log.Warn("--dev: requests without credentials act as an owner; this server listens on loopback only", "addr", cfg.Addr)
	}
	// go-redis logs a failed dial through its global logger: the mq
	// executor's Redis connections (both modes) and cluster mode's lead it
	// to this log, at debug, where the errors returned say what failed.
	redis.SetLogger(redisLogger{log.With("component", "redis")})
	rt, ex, err := startExecutor(ctx, cfg, nodeID, builtins, st, vault, log.With("component", "wasm"))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rt.Close(context.WithoutCancel(ctx)); cerr != nil {
			log.Error("close wasm runtime", "err", cerr)
			return
		}
		log.Info("wasm runtime closed")
	}()

	// 6. Cluster mode: Redis membership and partition leases, claims fenced
	// by the store's partition epochs, changes carried over pub/sub.
	// Embedded mode holds every partition itself.
	var eng *engine.Engine
	var leaser engine.Leaser = engine.NewLocalLeaser(engine.LocalLeaserConfig{})
	var cl *clusterNode
	if len(cfg.Redis) > 0 {
		running := func() int {
			if eng == nil {
				return 0
			}
			return eng.Stats().Running
		}
		cl, err = startCluster(ctx, cfg, st, nodeID, advertiseAddr(cfg, ln.Addr(), cfg.TLSCert != ""), owner.Started, running, log)
		if err != nil {
			return err
		}
		defer cl.close()
		leaser = cl.leaser
		log.Info("cluster mode", "redis", cfg.RedisRedacted(), "partitions", cl.partitions, "lease_ttl", cfg.LeaseTTL, "prefix", cfg.RedisPrefix)
	}

	// 6b. The engine fires the tasks of the partitions this node holds.
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	eng, err = engine.New(ctx, engine.Config{
		Store: st, Executor: ex, NodeID: nodeID,
		Leaser: leaser, Fenced: cl != nil,
		Workers: cfg.Workers, NamespaceWorkers: cfg.NamespaceWorkers,
		Metrics: metrics,
		Logger:  log.With("component", "engine"),
	})
	if err != nil {
		return err
	}
	var sched api.Scheduler = eng
	var bus *changes.Bus
	var members api.Members
	if cl != nil {
		bus, err = changes.New(changes.Config{
			Client: cl.clients[0], Channel: cfg.RedisPrefix + "changes", NodeID: nodeID, Store: st, Engine: eng,
			Logger: log.With("component", "changes"),
		})
		if err != nil {
			return err
		}
		sched, members = bus, cl
	}

	// 7. Retention prunes execution history and expired key-value pairs in
	// the background. The flags' 0 (keep) is the service's negative (off).
	maxAge, keep := cfg.RetentionMaxAge, cfg.RetentionKeepPerTask
	if maxAge == 0 {
		maxAge = -1
	}
	if keep == 0 {
		keep = -1
	}
	ret, err := retention.New(retention.Config{
		Store: st, MaxAge: maxAge, KeepPerTask: keep, Interval: cfg.RetentionInterval, AuditMaxAge: cfg.AuditMaxAge,
		Logger: log.With("component", "retention"),
	})
	if err != nil {
		return err
	}

	// 8. HTTP.
	var draining atomic.Bool
	mux := http.NewServeMux()
	openapi.RegisterHealth(mux, func(ctx context.Context) error {
		if draining.Load() {
			return errShuttingDown
		}
		if cl != nil {
			if err := cl.ready(); err != nil {
				return err
			}
		}
		return st.Ping(ctx)
	})
	api.New(mux, api.Config{ //nolint:contextcheck // every handler takes its request's context
		Store: st, Scheduler: sched, Stats: eng, Members: members, Validator: ex, Plugins: ex, Secrets: vault, MQ: ex,
		Node:      api.NodeInfo{ID: nodeID, Version: version, StartedAt: owner.Started, Store: st.Driver(), Mode: mode(cfg)},
		Auth:      authn,
		RateLimit: api.RateLimit{PerSecond: cfg.RateLimit, Burst: cfg.RateBurst},
		Logger:    log.With("component", "api"),
	})
	mux.Handle("GET /metrics", api.MetricsHandler(authn, metrics, log.With("component", "metrics")))
	// The web UI (or, built without it, a page saying how to build it) at /
	// and every path no route above takes; see ui.Handler.
	mux.Handle("/", ui.Handler())
	tlsConfig, err := serverTLS(cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{
		TLSConfig:         tlsConfig,
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	log.Info("kronos started",
		"version", version, "node_id", nodeID, "data_dir", cfg.DataDir,
		"driver", st.Driver(), "store", cfg.Store.String(), "addr", ln.Addr().String())
	url := browseURL(ln.Addr())
	if tlsConfig != nil {
		url = "https://" + strings.TrimPrefix(url, "http://")
	}
	log.Info("listening on "+url, "url", url)

	// 9. Run until a signal or a failure; then stop everything.
	var g run.Group
	{
		// Signals.
		runCtx, cancel := context.WithCancel(ctx)
		g.Add(func() error {
			<-runCtx.Done()
			if ctx.Err() != nil {
				stopSignals()
				log.Info("shutting down; a second signal stops at once", "reason", context.Cause(ctx).Error())
			}
			return nil
		}, func(error) {
			cancel()
		})
	}
	{
		// The engine: on shutdown it stops claiming and waits for the
		// executions it started, which are recorded as interrupted.
		engCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		g.Add(func() error {
			if err := eng.Run(engCtx); err != nil {
				return fmt.Errorf("engine: %w", err)
			}
			return nil
		}, func(error) {
			cancel()
			log.Info("engine stopping")
			if cl != nil {
				// Claims stop with the engine; a claim still in flight is
				// refused by the epoch fence once a new owner acquires.
				// Release now so that failover does not wait for the TTL.
				rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer rcancel()
				if err := cl.leaser.Release(rctx); err != nil {
					log.Warn("release partition leases; they expire after the TTL", "err", err)
				} else {
					log.Info("partition leases released for the other nodes")
				}
			}
		})
	}
	if cl != nil {
		leaserCtx, cancelLeaser := context.WithCancel(context.WithoutCancel(ctx))
		g.Add(func() error {
			if err := cl.leaser.Run(leaserCtx); err != nil {
				return fmt.Errorf("cluster leases: %w", err)
			}
			return nil
		}, func(error) { cancelLeaser() })
		busCtx, cancelBus := context.WithCancel(context.WithoutCancel(ctx))
		g.Add(func() error {
			if err := bus.Run(busCtx); err != nil {
				return fmt.Errorf("cluster changes: %w", err)
			}
			return nil
		}, func(error) { cancelBus() })
		sweepCtx, cancelSweep := context.WithCancel(context.WithoutCancel(ctx))
		g.Add(func() error {
			return cl.sweepOrphans(sweepCtx, eng, cfg.LeaseTTL, log.With("component", "cluster"))
		}, func(error) { cancelSweep() })
		skewCtx, cancelSkew := context.WithCancel(context.WithoutCancel(ctx))
		g.Add(func() error {
			return cl.watchSkew(skewCtx, st, log.With("component", "cluster"))
		}, func(error) { cancelSkew() })
	}
	{
		// The plugins compile in the background, so that the server
		// answers at once; what needs one meanwhile waits for it.
		g.Add(precompileActor(ctx, rt, ex, log.With("component", "wasm")))
	}
	{
		// Retention: a failed pass is logged and retried, never fatal; a
		// pass cut short by shutdown stops between transactions or rolls one back.
		retCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		g.Add(func() error {
			return ret.Run(retCtx)
		}, func(error) {
			cancel()
		})
	}
	{
		// The HTTP server.
		g.Add(func() error {
			serve := srv.Serve
			if tlsConfig != nil {
				serve = func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
			}
			if err := serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve HTTP on %s: %w", ln.Addr(), err)
			}
			return nil
		}, func(error) {
			draining.Store(true)
			log.Info("stopping HTTP: /readyz now answers 503; waiting for open requests", "timeout", cfg.ShutdownTimeout)
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				log.Warn("open requests outlived --shutdown-timeout; closing them", "timeout", cfg.ShutdownTimeout, "err", err)
				_ = srv.Close()
			}
			log.Info("HTTP stopped")
		})
	}
	return g.Run()
}

// serverTLS returns the TLS settings of --tls-cert, --tls-key and
// --client-ca, or nil for plain HTTP. Client certificates are asked for
// but not required, so that bearer tokens keep working over the same
// port; one that does not chain to --client-ca fails the handshake.
func serverTLS(cfg Config) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load --tls-cert %s and --tls-key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if cfg.ClientCA != "" {
		pem, err := os.ReadFile(cfg.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("read --client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca %s holds no PEM certificate", cfg.ClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// dataDirError adds what to do to a refused data dir lock.
func dataDirError(err error, cfg Config) error {
	if ie := (*datadir.InUseError)(nil); !errors.As(err, &ie) {
		return err
	}
	hint := "stop it first, or give this server its own --data-dir"
	if cfg.Store.Driver == storeurl.SQLite {
		hint += "; to run several nodes on shared state, run a cluster: kronos server --store mysql://… --redis redis://…"
	}
	return &hintError{err: err, hint: hint}
}

// browseURL returns an http:// URL for addr that a browser on this machine
// can open: a wildcard host becomes localhost.
func browseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host + ":" + port
}

// mode names how the node runs, for get-node.
func mode(cfg Config) string {
	if len(cfg.Redis) > 0 {
		return "cluster"
	}
	return "embedded"
}

// loadKeyring reads the secret keys from --secret-key-file, or from the
// data dir, where the first start creates them.
func loadKeyring(cfg Config, log *slog.Logger) (*auth.Keyring, error) {
	if cfg.SecretKey != "" {
		kr, err := auth.ParseKeyring(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envSecretKey, err)
		}
		return kr, nil
	}
	if cfg.SecretKeyFile != "" {
		b, err := os.ReadFile(cfg.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--secret-key-file: %w", err)
		}
		kr, err := auth.ParseKeyring(string(b))
		if err != nil {
			return nil, fmt.Errorf("--secret-key-file %s: %w", cfg.SecretKeyFile, err)
		}
		return kr, nil
	}
	kr, created, err := datadir.Keyring(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("generated a secret key and saved it in the data dir; back it up with the store, or secrets cannot be read",
			"file", datadir.KeyringFile)
	}
	return kr, nil
}
