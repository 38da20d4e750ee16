#!/usr/bin/env bash
# Strata's test environment: installs the real servers and tools the tests talk
# to, starts them on free loopback ports, and stops them afterwards.
#
#   scripts/testenv.sh install         install everything (idempotent)
#   scripts/testenv.sh npm             install only the npm packages (what `make web` needs)
#   scripts/testenv.sh run CMD ARGS…   start the services, run CMD with STRATA_TEST_* set, stop them
#   scripts/testenv.sh env             print the variables a test needs (after install)
#
# Everything lands in .tools/ (ignored by git). Tests read these variables:
#   STRATA_TEST_VERSITYGW     path of the versitygw binary (tests that stop/start S3 themselves)
#   STRATA_TEST_S3_ENDPOINT   http://127.0.0.1:PORT of a running versitygw (posix backend)
#   STRATA_TEST_S3_ACCESS_KEY / STRATA_TEST_S3_SECRET_KEY
#   STRATA_TEST_NODE_MODULES  the node_modules folder holding gltf-validator, meshoptimizer, …
#   STRATA_TEST_NGINX         path of the nginx binary
#   STRATA_TEST_WRK           path of the wrk binary
#   STRATA_TEST_STRIPE_MOCK_BIN  path of the stripe-mock binary
#   STRATA_TEST_DYNAMO_ENDPOINT  http://127.0.0.1:PORT of a running dynalite (in memory)
#   STRATA_TEST_STRIPE_MOCK      http://127.0.0.1:PORT of a running stripe-mock
#   STRATA_TEST_POSTGRES         DSN of the machine's PostgreSQL (database test); tests make their own schema
#   STRATA_TEST_CHROMIUM         path of Debian's chromium, driven by playwright-core from STRATA_TEST_NODE_MODULES
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
gobin="$tools/bin"
nodedir="$tools/node"

VERSITYGW_VERSION=v1.8.0
STRIPE_MOCK_VERSION=v0.203.0
NPM_PACKAGES=(
	gltf-validator@2.0.0-dev.3.10 meshoptimizer@1.3.0 dynalite@4.0.0
	playwright-core@1.65.1 babylonjs@9.28.0 babylonjs-loaders@9.28.0 three@0.187.0 esbuild@0.28.2
)
POSTGRES_DSN=${STRATA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

log() { printf 'testenv: %s\n' "$*" >&2; }

# go_tool NAME MODULE/CMD VERSION installs a Go command into .tools/bin once per version.
go_tool() {
	local name=$1 pkg=$2 version=$3
	if [[ ! -x "$gobin/$name" ]] || ! grep -qx "$version" "$gobin/.$name-version" 2>/dev/null; then
		log "installing $name $version"
		GOBIN="$gobin" GOFLAGS=-buildvcs=false go install "$pkg@$version"
		echo "$version" >"$gobin/.$name-version"
	fi
}

install_go_tools() {
	mkdir -p "$gobin"
	go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"
	go_tool stripe-mock github.com/stripe/stripe-mock "$STRIPE_MOCK_VERSION"
}

install_npm() {
	mkdir -p "$nodedir"
	local want have=""
	want=$(printf '%s\n' "${NPM_PACKAGES[@]}" | sort | tr '\n' ' ')
	[[ -f "$nodedir/.installed" ]] && have=$(cat "$nodedir/.installed")
	if [[ "$want" != "$have" || ! -d "$nodedir/node_modules" ]]; then
		log "installing npm packages: $want"
		[[ -f "$nodedir/package.json" ]] || echo '{"name":"strata-testenv","private":true}' >"$nodedir/package.json"
		npm install --silent --no-audit --no-fund --prefix "$nodedir" "${NPM_PACKAGES[@]}" >&2
		echo "$want" >"$nodedir/.installed"
	fi
}

install_apt() {
	local missing=()
	command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
	command -v wrk >/dev/null 2>&1 || missing+=(wrk)
	[[ -x /usr/bin/chromium ]] || missing+=(chromium)
	if ((${#missing[@]})); then
		log "installing Debian packages: ${missing[*]}"
		if [[ $(id -u) -ne 0 ]]; then
			log "need root for apt-get install ${missing[*]}"
			return 1
		fi
		apt-get update -qq >&2 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
		# nginx-light's package starts a system nginx on port 80; the tests start their own.
		if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
		pkill -x nginx >/dev/null 2>&1 || true
	fi
}

install_all() {
	install_go_tools
	install_npm
	install_apt
}

free_port() {
	python3 - <<'PY' 2>/dev/null || node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

wait_port() {
	local port=$1 name=$2 i
	for ((i = 0; i < 200; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	log "$name did not start listening on 127.0.0.1:$port"
	return 1
}

print_env() {
	echo "STRATA_TEST_VERSITYGW=$gobin/versitygw"
	echo "STRATA_TEST_NODE_MODULES=$nodedir/node_modules"
	echo "STRATA_TEST_NGINX=$(command -v nginx || echo /usr/sbin/nginx)"
	echo "STRATA_TEST_WRK=$(command -v wrk || true)"
	echo "STRATA_TEST_STRIPE_MOCK_BIN=$gobin/stripe-mock"
	echo "STRATA_TEST_POSTGRES=$POSTGRES_DSN"
	echo "STRATA_TEST_CHROMIUM=/usr/bin/chromium"
}

pids=()
state=""
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[[ -n "$state" ]] && rm -rf "$state"
}

start_versitygw() {
	local port dir
	port=$(free_port)
	dir="$state/s3"
	mkdir -p "$dir"
	export STRATA_TEST_S3_ACCESS_KEY=strata-test STRATA_TEST_S3_SECRET_KEY=strata-test-secret
	ROOT_ACCESS_KEY=$STRATA_TEST_S3_ACCESS_KEY ROOT_SECRET_KEY=$STRATA_TEST_S3_SECRET_KEY \
		"$gobin/versitygw" --port "127.0.0.1:$port" posix "$dir" >"$state/versitygw.log" 2>&1 &
	pids+=($!)
	wait_port "$port" versitygw
	export STRATA_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
}

start_dynalite() {
	local port
	port=$(free_port)
	node "$nodedir/node_modules/dynalite/cli.js" --port "$port" --host 127.0.0.1 >"$state/dynalite.log" 2>&1 &
	pids+=($!)
	wait_port "$port" dynalite
	export STRATA_TEST_DYNAMO_ENDPOINT="http://127.0.0.1:$port"
}

start_stripe_mock() {
	local port
	port=$(free_port)
	"$gobin/stripe-mock" -http-port "$port" >"$state/stripe-mock.log" 2>&1 &
	pids+=($!)
	wait_port "$port" stripe-mock
	export STRATA_TEST_STRIPE_MOCK="http://127.0.0.1:$port"
}

# ensure_postgres starts the machine's PostgreSQL cluster when it is down; it
# is the machine's service, so it is left running afterwards.
ensure_postgres() {
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
	log "starting PostgreSQL"
	local v
	for v in /etc/postgresql/*; do
		pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start >&2 || true
	done
	wait_port 5432 postgresql
}

run_with_env() {
	state=$(mktemp -d "${TMPDIR:-/tmp}/strata-testenv.XXXXXX")
	trap stop_all EXIT INT TERM
	while IFS= read -r kv; do export "${kv?}"; done < <(print_env)
	start_versitygw
	start_dynalite
	start_stripe_mock
	ensure_postgres
	log "services up: s3=$STRATA_TEST_S3_ENDPOINT dynamodb=$STRATA_TEST_DYNAMO_ENDPOINT stripe=$STRATA_TEST_STRIPE_MOCK postgres=127.0.0.1:5432"
	"$@"
}

case "${1:-}" in
install) install_all ;;
npm) install_npm ;;
env) print_env ;;
run)
	shift
	[[ $# -gt 0 ]] || { echo "usage: $0 run CMD [ARGS…]" >&2; exit 2; }
	run_with_env "$@"
	;;
*)
	echo "usage: $0 install | env | run CMD [ARGS…]" >&2
	exit 2
	;;
esac
