#!/usr/bin/env bash
# The whole test suite against a throwaway PostgreSQL cluster; exits non-zero on any failure.
#
#   .ci/test.sh          checks (gofmt, go vet, generated templ code, hadolint, the image
#                        build where a container engine runs), go test, fuzzing, the soak
#   .ci/test.sh bench    the benchmarks only (go test -bench), no checks
#   .ci/test.sh soak     the soak only (soak/: crashes, a database restart, faulty peers)
#
# Environment:
#   RACE=0        run go test without -race (default: with it)
#   GOTESTFLAGS   extra go test flags, e.g. GOTESTFLAGS='-run TestInbox -v'
#   BENCH         benchmark pattern in bench mode (default: .)
#   SOAK=0        skip the soak after the tests
set -euo pipefail

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

MODE=${1:-test}
case $MODE in
test | bench | soak) ;;
*)
	echo "usage: .ci/test.sh [test|bench|soak]" >&2
	exit 2
	;;
esac

heading() { printf '\n==> %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		fail "need root to run '$*' and sudo is not installed"
	fi
}

APT_UPDATED=0
apt_install() {
	command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install $* by hand"
	if [ "$APT_UPDATED" = 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update
		APT_UPDATED=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# shellcheck disable=SC2206 # GOTESTFLAGS is split on purpose.
EXTRA=(${GOTESTFLAGS:-})

heading "tools"
if [ "$MODE" = test ] && [ ! -x /usr/bin/chromium ]; then
	echo "installing chromium (end-to-end tests)"
	apt_install chromium
fi
if [ "$MODE" = test ] && ! command -v pdftotext >/dev/null 2>&1; then
	echo "installing poppler-utils (pdftotext reads the generated report PDFs)"
	apt_install poppler-utils
fi
if [ "$MODE" = test ] && [ "${RACE:-1}" != 0 ] && ! command -v gcc >/dev/null 2>&1; then
	echo "installing gcc (go test -race needs cgo)"
	apt_install gcc libc6-dev
fi
go version

heading "throwaway PostgreSQL cluster"
TMP=$(mktemp -d /tmp/bc-test.XXXXXX)
# As root the server runs as the postgres user, which must reach TMP/db.
chmod 755 "$TMP"
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	db/pgcluster.sh stop "$TMP/db" >/dev/null 2>&1 || true
	rm -rf -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PORT=$((55000 + RANDOM % 1000))
BACKUPCHECKS_TEST_DATABASE_URL=$(PGCLUSTER_FAST=1 db/pgcluster.sh start "$TMP/db" "$PORT")
export BACKUPCHECKS_TEST_DATABASE_URL
echo "BACKUPCHECKS_TEST_DATABASE_URL=$BACKUPCHECKS_TEST_DATABASE_URL"

# The soak starts its own PostgreSQL (it restarts it) and its own processes.
run_soak() {
	heading "soak (make soak)"
	BACKUPCHECKS_SOAK=1 go test -run '^TestSoak$' -count=1 -timeout 15m -v ./soak/
}

if [ "$MODE" = soak ]; then
	run_soak
	exit 0
fi

if [ "$MODE" = bench ]; then
	heading "go test -bench ${BENCH:-.}"
	go test -run '^$' -bench "${BENCH:-.}" -benchmem -count 1 -timeout 60m "${EXTRA[@]}" ./...
	exit 0
fi

heading "gofmt -l"
# Every .go file outside dot-directories (.data may hold a running dev cluster).
unformatted=$(find . -type d -name '.?*' -prune -o -type f -name '*.go' -print0 | xargs -0 -r gofmt -l)
if [ -n "$unformatted" ]; then
	printf '%s\n' "$unformatted" >&2
	fail "these files are not gofmt-formatted: run make fmt"
fi

heading "go vet ./..."
go vet ./...

heading "templ generate"
go tool templ generate
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	if ! git diff --exit-code -- '*_templ.go' ||
		[ -n "$(git status --porcelain --untracked-files=all -- '*_templ.go' | grep '^??' || true)" ]; then
		git status --short --untracked-files=all -- '*_templ.go' >&2
		fail "generated templ code is out of date: run make templ-generate and commit"
	fi
else
	echo "not a git work tree: skipping the generated-code diff"
fi

# hadolint lints the Dockerfile. It is a single static binary from its GitHub release,
# pinned here; where that cannot be fetched (no route to it) the step says so plainly
# and is skipped, never passed.
HADOLINT_VERSION=v2.12.0
heading "hadolint Dockerfile ($HADOLINT_VERSION)"
hadolint_bin() {
	local cache=${XDG_CACHE_HOME:-$HOME/.cache}/backupchecks-tools/hadolint-$HADOLINT_VERSION
	for bin in "${HADOLINT:-}" "$cache" "$(command -v hadolint || true)"; do
		if [ -n "$bin" ] && [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "${HADOLINT_VERSION#v}"; then
			echo "$bin"
			return 0
		fi
	done
	mkdir -p "$(dirname "$cache")"
	if curl -fsSL --connect-timeout 10 --max-time 120 -o "$cache.part" \
		"https://github.com/hadolint/hadolint/releases/download/$HADOLINT_VERSION/hadolint-Linux-x86_64" 2>/dev/null &&
		chmod +x "$cache.part" && "$cache.part" --version | grep -q "${HADOLINT_VERSION#v}"; then
		mv "$cache.part" "$cache"
		echo "$cache"
		return 0
	fi
	rm -f "$cache.part"
	return 1
}
if bin=$(hadolint_bin); then
	"$bin" Dockerfile
	echo "hadolint: Dockerfile clean"
else
	echo "SKIPPED: hadolint $HADOLINT_VERSION is not installed and could not be fetched from its GitHub release;"
	echo "         the Dockerfile was NOT linted (deploy/dockerfile_test.go still checks its essentials)."
fi

heading "docker build"
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	docker build --pull --build-arg VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo ci)" -t backupchecks:ci .
else
	echo "SKIPPED: no container engine is running here (docker info failed): the image was NOT built."
fi

RACEFLAG=(-race)
if [ "${RACE:-1}" = 0 ]; then RACEFLAG=(); fi
heading "go test ${RACEFLAG[*]:+${RACEFLAG[*]} }./..."
go test "${RACEFLAG[@]}" -count=1 -timeout 30m "${EXTRA[@]}" ./...

# Bounded fuzzing of the code that reads untrusted mail: no input may panic or hang.
# FUZZTIME=0 skips it. A short minimisation keeps the fuzzer from idling on new inputs.
if [ "${FUZZTIME:-20s}" != 0 ]; then
	for target in "FuzzReduceDecode ./app/mail" "FuzzRegistry ./app/parsers"; do
		# shellcheck disable=SC2086 # split "name package" on purpose
		set -- $target
		heading "go test -fuzz $1 $2 (${FUZZTIME:-20s})"
		go test -run '^$' -fuzz "^$1\$" -fuzztime "${FUZZTIME:-20s}" -fuzzminimizetime 2s "$2"
	done
fi

if [ "${SOAK:-1}" != 0 ]; then
	run_soak
fi
