#!/usr/bin/env bash
# The whole test suite against a throwaway PostgreSQL cluster; exits non-zero on any failure.
#
#   .ci/test.sh          checks (gofmt, go vet, generated templ code) and go test
#   .ci/test.sh bench    the benchmarks only (go test -bench), no checks
#
# Environment:
#   RACE=0        run go test without -race (default: with it)
#   GOTESTFLAGS   extra go test flags, e.g. GOTESTFLAGS='-run TestInbox -v'
#   BENCH         benchmark pattern in bench mode (default: .)
set -euo pipefail

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

MODE=${1:-test}
case $MODE in
test | bench) ;;
*)
	echo "usage: .ci/test.sh [test|bench]" >&2
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
