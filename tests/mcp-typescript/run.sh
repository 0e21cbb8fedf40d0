#!/usr/bin/env bash
# Drives the orchestrator's MCP server with the official TypeScript SDK client
# (@modelcontextprotocol/sdk) over Streamable HTTP and stdio. Called by .ci/run from the
# repo root after the Debug build:  bash tests/mcp-typescript/run.sh
# Environment: ORCH_DLL (default: the Debug build of Orchestrator.Host),
#              ORCH_MCP_TRANSPORTS (default: http,stdio).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dll="${ORCH_DLL:-$root/src/Orchestrator.Host/bin/Debug/net10.0/orchestrator.dll}"
start_timeout=60

say() { echo "mcp-typescript: $*"; }
die() { say "FAILED: $*" >&2; exit 1; }

work="$(mktemp -d)"
data="$(mktemp -d)"
serve_pid=""

serve_rc=0
stop_serve() { # SIGTERM, wait up to 20 s, then SIGKILL; sets serve_rc
  local pid="$serve_pid" i
  serve_pid=""; serve_rc=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "serve ignored SIGTERM for 20 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || serve_rc=$?
}
show_serve_log() { say "serve log (last 40 lines):"; tail -n 40 "$work/serve.log" 2>/dev/null | sed 's/^/  | /' || true; echo; }

cleanup() {
  local rc=$?
  if [ -n "$serve_pid" ]; then
    say "stopping serve (pid $serve_pid) after a failure"
    stop_serve
    show_serve_log
  fi
  rm -rf "$work" "$data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"
[ -f "$dll" ] || die "no build at $dll (run the Debug build first)"

say "node $(node --version), npm $(npm --version), work folder $work"

# Start the node first so it boots while npm installs.
say "starting: dotnet $dll serve --port 0 --http-port 0 --data-dir $data"
dotnet "$dll" serve --port 0 --http-port 0 --data-dir "$data" >"$work/serve.log" 2>&1 &
serve_pid=$!

cp "$here/package.json" "$here/check.mjs" "$work/"
say "npm install (@modelcontextprotocol/sdk $(node -p 'require(process.argv[1]).dependencies["@modelcontextprotocol/sdk"]' "$work/package.json"))"
if ! (cd "$work" && timeout 300 npm install --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
  sed 's/^/  | /' "$work/npm.log" >&2
  die "npm install failed"
fi
say "installed $(node -p 'require(process.argv[1]).version' "$work/node_modules/@modelcontextprotocol/sdk/package.json")"

# Wait for the addresses and for recovery.
akka=""; http=""
deadline=$((SECONDS + start_timeout))
while :; do
  kill -0 "$serve_pid" 2>/dev/null || die "serve exited before it was ready"
  if [ -z "$akka" ]; then
    akka="$(sed -n 's#^orchestrator: listening at akka\.tcp://[^@]*@\([^/;]*\).*#\1#p' "$work/serve.log" | head -n 1)"
  fi
  if [ -z "$http" ]; then
    http="$(sed -n 's#^orchestrator: HTTP at \(https\{0,1\}://[^ ]*\).*#\1#p' "$work/serve.log" | head -n 1)"
  fi
  if [ -n "$akka" ] && [ -n "$http" ] && grep -q 'Recovered state-manager-default' "$work/serve.log"; then break; fi
  [ "$SECONDS" -lt "$deadline" ] || die "serve was not ready within ${start_timeout}s (akka='$akka' http='$http')"
  sleep 0.2
done
say "serve ready: Akka at $akka, HTTP at $http"

export ORCH_MCP_URL="${http%/}/mcp"
ORCH_MCP_STDIO="$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' dotnet "$dll" mcp --server "$akka")"
export ORCH_MCP_STDIO
export ORCH_MCP_TRANSPORTS="${ORCH_MCP_TRANSPORTS:-http,stdio}"
say "HTTP endpoint $ORCH_MCP_URL"
say "stdio command $ORCH_MCP_STDIO"
say "transports $ORCH_MCP_TRANSPORTS"

test_rc=0
(cd "$work" && timeout 180 node --test --test-reporter=spec --test-timeout=120000 check.mjs) || test_rc=$?

say "stopping serve (SIGTERM)"
stop_serve
say "serve exited with $serve_rc"
if [ "$serve_rc" != 0 ]; then show_serve_log; fi

if [ "$test_rc" != 0 ]; then die "the TypeScript SDK checks failed (node --test exit $test_rc)"; fi
if [ "$serve_rc" != 0 ]; then die "serve did not stop cleanly"; fi
say "passed"
