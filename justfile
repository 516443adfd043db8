# Kronos developer entry point. `just` lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Pinned tools, installed on demand into .bin/ (gitignored).
golangci_version := "v2.15.0"
bin_dir := justfile_directory() / ".bin"
golangci := bin_dir / "golangci-lint"

# What `kronos version` prints.
version := `git describe --tags --always --dirty 2>/dev/null || echo dev`
commit := `git rev-parse --short HEAD 2>/dev/null || true`

# List the recipes
default:
    @just --list

# Build bin/kronos with the version stamped in and the web UI embedded (`just ui`, -tags kronos_ui); without npm, without the UI
build: plugins
    #!/usr/bin/env bash
    set -euo pipefail
    tags=()
    if command -v npm >/dev/null; then
        "{{ just_executable() }}" --justfile "{{ justfile() }}" ui
        tags=(-tags kronos_ui)
    else
        echo "npm not found: building bin/kronos without the web UI (/ says how to build it); install Node.js and npm for the UI" >&2
    fi
    go build -trimpath "${tags[@]}" -ldflags "-X main.version={{ version }} -X main.commit={{ commit }} -X github.com/shiyu-coder/kronos/host/internal/egress.Version={{ version }}" -o bin/kronos ./cmd/kronos

# Build the plugins into bin/plugins/<name>.wasm (built-ins also into plugins/dist/ to embed; AssemblyScript needs npm)
plugins:
    mkdir -p bin/plugins
    GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o bin/plugins/http.wasm ./plugins/http
    cp bin/plugins/http.wasm plugins/dist/http.wasm
    GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o bin/plugins/script.wasm ./plugins/script
    cp bin/plugins/script.wasm plugins/dist/script.wasm
    GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o bin/plugins/mq.wasm ./plugins/mq
    cp bin/plugins/mq.wasm plugins/dist/mq.wasm
    GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared -o bin/plugins/go-hello.wasm ./examples/go-hello
    if command -v npm >/dev/null; then \
        cd examples/assemblyscript-hello && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && \
        npm run --silent build -- --outFile ../../bin/plugins/assemblyscript-hello.wasm; \
    else echo "npm not found: skipping examples/assemblyscript-hello" >&2; fi

# Build the web UI into ui/dist (npm ci when ui/node_modules is missing or older than the lockfile; needs npm)
ui: _ui-deps
    cd ui && npm run build

# Run the web UI's Vite dev server on :5173 with hot reload; it proxies the API to `just dev` on :8080 (KRONOS_API=http://host:port for another node)
ui-dev: _ui-deps
    cd ui && npm run dev

# Type-check the web UI and run its Vitest tests
ui-test: _ui-deps
    cd ui && npm run --silent typecheck && npx --no-install vitest run

# Run the web UI's browser tests (ui/e2e: Playwright in Debian's Chromium, $KRONOS_CHROMIUM or /usr/bin/chromium) against a real `kronos server` built by `just build`
ui-e2e: _ui-e2e-check build
    cd ui && npx --no-install tsc -p e2e && npx --no-install playwright test -c e2e/playwright.config.ts

# Fail at once, saying what to install, when the browser tests cannot run (no npm, no Chromium).
_ui-e2e-check:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v npm >/dev/null || { echo "ui-e2e: npm is missing: the web UI and its browser tests need Node.js (20.19 or later) and npm" >&2; exit 1; }
    chromium="${KRONOS_CHROMIUM:-/usr/bin/chromium}"
    [[ -x "${chromium}" ]] || { echo "ui-e2e: no Chromium at ${chromium}: apt-get install chromium (Debian's; Playwright's own download is not used), or set KRONOS_CHROMIUM" >&2; exit 1; }

# ui-test as `just test` runs it: under CI=true always; elsewhere skipped, saying so, without npm.
_test-ui:
    #!/usr/bin/env bash
    set -euo pipefail
    if [[ "${CI:-}" != true ]] && ! command -v npm >/dev/null; then
        echo "npm not found: skipping ui-test" >&2; exit 0
    fi
    "{{ just_executable() }}" --justfile "{{ justfile() }}" ui-test

# ui-e2e as `just test` runs it: under CI=true always (no npm or Chromium fails); elsewhere skipped, saying so, without them.
_test-ui-e2e:
    #!/usr/bin/env bash
    set -euo pipefail
    if [[ "${CI:-}" != true ]]; then
        chromium="${KRONOS_CHROMIUM:-/usr/bin/chromium}"
        if ! command -v npm >/dev/null; then echo "npm not found: skipping ui-e2e" >&2; exit 0; fi
        if [[ ! -x "${chromium}" ]]; then
            echo "no Chromium at ${chromium} (apt-get install chromium, or set KRONOS_CHROMIUM): skipping ui-e2e" >&2; exit 0
        fi
    fi
    "{{ just_executable() }}" --justfile "{{ justfile() }}" ui-e2e

# npm ci in ui/ when node_modules is missing or older than the lockfile (npm ci also writes src/api/schema.d.ts).
_ui-deps:
    #!/usr/bin/env bash
    set -euo pipefail
    cd ui
    command -v npm >/dev/null || { echo "the web UI needs Node.js (20.19 or later) and npm" >&2; exit 1; }
    [[ node_modules/.package-lock.json -nt package-lock.json ]] || npm ci --no-audit --no-fund

# Build, then run one embedded node on :8080 with debug logs (plugins may reach local services)
dev: build
    ./bin/kronos server --addr localhost:8080 --dev --data-dir ./kronos-data --log-level debug --allow-private-networks

# Vet, lint (Go and the OpenAPI document), the web UI's tests (ui-test), every Go test with the race detector (the cluster fault suite in a pass of its own, the script and mq plugins' host tests in a pass without it), each benchmark once, then the browser tests (ui-e2e)
test: plugins vet lint openapi-lint _test-ui && _test-ui-e2e
    go test -race -count=1 -skip='^(TestFault|TestClusterShares)' ./...
    # The fault suite measures failover against the lease TTL: it runs alone, not beside other packages' tests.
    go test -race -count=1 -run='^(TestFault|TestClusterShares)' ./cmd/kronos
    go test -count=1 -run='ScriptPlugin|MQPlugin' ./host/
    go test -run='^$' -bench=. -benchtime=1x ./...

# Run go vet on every package
vet:
    go vet ./...

# Lint with golangci-lint (pinned; installed into .bin/ when missing)
lint: _golangci
    "{{ golangci }}" run ./...

# Write openapi/openapi.yaml from the code (`kronos openapi`); a test fails when the committed file differs
openapi:
    go run ./cmd/kronos openapi > openapi/openapi.yaml.tmp || { rm -f openapi/openapi.yaml.tmp; exit 1; }
    mv openapi/openapi.yaml.tmp openapi/openapi.yaml
    go run ./cmd/kronos openapi --format yaml-3.0 > openapi/openapi-3.0.yaml.tmp || { rm -f openapi/openapi-3.0.yaml.tmp; exit 1; }
    mv openapi/openapi-3.0.yaml.tmp openapi/openapi-3.0.yaml
    go tool oapi-codegen -config openapi/client/oapi-codegen.yaml openapi/openapi-3.0.yaml

# Lint openapi/openapi.yaml with Redocly CLI (pinned in tools/openapi, config tools/openapi/redocly.yaml; needs npm)
openapi-lint:
    #!/usr/bin/env bash
    set -euo pipefail
    cd tools/openapi
    if ! command -v npm >/dev/null; then
        [[ "${CI:-}" != true ]] || { echo "openapi-lint: npm is missing" >&2; exit 1; }
        echo "npm not found: skipping openapi-lint" >&2; exit 0
    fi
    # npm ci when node_modules is missing or older than the lockfile.
    [[ node_modules/.package-lock.json -nt package-lock.json ]] || npm ci --no-audit --no-fund
    npx --no-install redocly lint --format=stylish

# Format: gofumpt and goimports (kronos imports last), via golangci-lint fmt
fmt: _golangci
    "{{ golangci }}" fmt ./...

# Fail on unformatted code, lint findings, or an untidy go.mod (as CI would)
check: _golangci
    "{{ golangci }}" fmt --diff ./...
    "{{ golangci }}" run ./...
    go mod tidy
    git diff --exit-code

# Run the benchmarks for real, with allocations, then the engine benchmark (bench-engine)
bench: && bench-engine
    go test -run='^$' -bench=. -benchmem ./...

# `kronos bench`: $TASKS (10000) every-second tasks for $DURATION (10s) on SQLite, then on MySQL ($KRONOS_TEST_MYSQL_URL) if it answers
bench-engine:
    #!/usr/bin/env bash
    set -euo pipefail
    args=(--tasks "${TASKS:-10000}" --duration "${DURATION:-10s}" --executor "${EXECUTOR:-wasm}")
    go run ./cmd/kronos bench "${args[@]}"
    url="${KRONOS_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
    hostport="${url#mysql://}"; hostport="${hostport##*@}"; hostport="${hostport%%[/?]*}"
    host="${hostport%:*}"; port="${hostport##*:}"; [[ "$port" == "$hostport" ]] && port=3306
    if (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null; then
        echo
        go run ./cmd/kronos bench "${args[@]}" --store "$url"
    else
        echo "no MySQL at ${host}:${port} (set KRONOS_TEST_MYSQL_URL): skipping the MySQL run" >&2
    fi

# Fuzz the schedule parser, the token parser, the secret resolver and the upload validator, $FUZZTIME (default 30s) each
fuzz:
    go test -run='^$' -fuzz=FuzzParse -fuzztime=${FUZZTIME:-30s} ./core/schedule/
    go test -run='^$' -fuzz=FuzzParseToken -fuzztime=${FUZZTIME:-30s} ./core/auth/
    go test -run='^$' -fuzz=FuzzResolveSecrets -fuzztime=${FUZZTIME:-30s} ./core/auth/
    go test -run='^$' -fuzz=FuzzValidate -fuzztime=${FUZZTIME:-30s} ./host/

# Tidy go.mod and go.sum
tidy:
    go mod tidy

# Remove build output (bin/); the tools in .bin/ stay
clean:
    rm -rf bin/

# Install golangci-lint {{golangci_version}} into .bin/ unless that version is already there.
# Its gofumpt is v0.12.0, so `just fmt` needs no separate gofumpt.
_golangci:
    #!/usr/bin/env bash
    set -euo pipefail
    want="{{ trim_start_match(golangci_version, 'v') }}"
    if [[ -x "{{ golangci }}" ]] && "{{ golangci }}" version 2>/dev/null | grep -q "has version ${want} "; then
        exit 0
    fi
    echo "installing golangci-lint {{ golangci_version }} into {{ bin_dir }}" >&2
    GOBIN="{{ bin_dir }}" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@{{ golangci_version }}"
    "{{ golangci }}" version
