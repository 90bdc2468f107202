#!/usr/bin/env bash
# Manage a private PostgreSQL 15 cluster for development and tests.
#
#   db/pgcluster.sh start DIR PORT [DBNAME]   init (once) and start the cluster in DIR/pg,
#                                             create DBNAME if missing, print its URL
#   db/pgcluster.sh stop DIR                  stop the cluster (no error if not running)
#   db/pgcluster.sh url DIR PORT [DBNAME]     print the URL only
#
# The server listens on a unix socket in DIR only (no TCP). The connection URL is the only
# thing printed on stdout; progress goes to stderr.
#
# Environment:
#   PGCLUSTER_FAST=1   fsync/synchronous_commit/full_page_writes off: for throwaway clusters
#
# initdb and pg_ctl refuse to run as root: as root, DIR is handed to the postgres user and
# the server binaries run as that user.
set -euo pipefail

PG_MAJOR=15
# sizeof(sockaddr_un.sun_path) is 108 bytes, including the terminating NUL.
MAX_SOCKET_PATH=107

log() { printf 'pgcluster: %s\n' "$*" >&2; }
die() {
	printf 'pgcluster: error: %s\n' "$*" >&2
	exit 1
}

usage() {
	cat >&2 <<'EOF'
usage: db/pgcluster.sh start DIR PORT [DBNAME]
       db/pgcluster.sh stop DIR
       db/pgcluster.sh url DIR PORT [DBNAME]
EOF
	exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# sudo_if_needed runs a command as root: directly when root, else through sudo.
sudo_if_needed() {
	if is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run '$*' and sudo is not installed"
	fi
}

# abs_dir prints DIR as an absolute path without requiring it to exist.
abs_dir() {
	local dir=$1
	if command -v realpath >/dev/null 2>&1; then
		realpath -m -- "$dir"
	else
		case $dir in
		/*) printf '%s\n' "$dir" ;;
		*) printf '%s/%s\n' "$PWD" "$dir" ;;
		esac
	fi
}

# urlencode percent-encodes everything but unreserved characters and '/'.
urlencode() {
	local LC_ALL=C s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~/-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

check_port() {
	case $1 in
	'' | *[!0-9]*) die "PORT must be a number, got '$1'" ;;
	esac
	if [ "$1" -lt 1 ] || [ "$1" -gt 65535 ]; then
		die "PORT must be between 1 and 65535, got '$1'"
	fi
}

check_dbname() {
	[ -n "$1" ] || die "DBNAME must not be empty"
	[ "${#1}" -le 63 ] || die "DBNAME '$1' is longer than 63 characters"
}

check_socket_path() {
	local dir=$1 port=$2
	local sock="$dir/.s.PGSQL.$port"
	if [ "${#sock}" -gt "$MAX_SOCKET_PATH" ]; then
		die "directory '$dir' is too long: the socket path '$sock' is ${#sock} characters, at most $MAX_SOCKET_PATH are allowed; use a shorter DIR"
	fi
}

print_url() {
	local dir=$1 port=$2 db=$3
	printf 'postgres://postgres@/%s?host=%s&port=%s&sslmode=disable\n' \
		"$(urlencode "$db")" "$(urlencode "$dir")" "$port"
}

# find_bindir prints the directory holding initdb and pg_ctl, or fails.
find_bindir() {
	local d
	d=/usr/lib/postgresql/$PG_MAJOR/bin
	if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		printf '%s\n' "$d"
		return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		d=$(dirname -- "$(command -v initdb)")
		printf '%s\n' "$d"
		return 0
	fi
	return 1
}

install_postgres() {
	log "PostgreSQL server binaries not found: installing Debian's postgresql package"
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install PostgreSQL $PG_MAJOR by hand"
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update >&2
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
}

# sh_quote quotes its argument for a POSIX shell.
sh_quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# as_pg runs a command as the postgres user when root, else as the current user. It runs
# from DIR so that an unreadable working directory (such as /root) does not matter.
as_pg() {
	if ! is_root; then
		(cd "$DIR" && "$@")
		return
	fi
	if command -v runuser >/dev/null 2>&1; then
		(cd "$DIR" && runuser -u postgres -- "$@")
	else
		local cmd='' a
		for a in "$@"; do cmd+="$(sh_quote "$a") "; done
		(cd "$DIR" && su postgres -s /bin/sh -c "$cmd")
	fi
}

# ensure_postgres_user creates the postgres system user when root and it is missing (the
# Debian package creates it; a hand-made install may not have).
ensure_postgres_user() {
	is_root || return 0
	id -u postgres >/dev/null 2>&1 && return 0
	log "creating the postgres system user"
	useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh postgres
}

# prepare_dir creates DIR and, when root, hands it to the postgres user.
prepare_dir() {
	mkdir -p -- "$DIR"
	is_root || return 0
	if [ -d "$DATA" ] && [ "$(stat -c %U -- "$DATA")" != postgres ]; then
		chown -R postgres: -- "$DATA"
	fi
	chown postgres: -- "$DIR"
	if [ -e "$LOGFILE" ]; then chown postgres: -- "$LOGFILE"; fi
	if ! as_pg test -w "$DIR" -a -x "$DIR"; then
		die "the postgres user cannot write to '$DIR': make its parent directories traversable (chmod o+x) or use another DIR"
	fi
}

pick_locale() {
	# No grep -q: with pipefail, locale -a could die of SIGPIPE and fail the test.
	if locale -a 2>/dev/null | grep -ixE 'c\.utf-?8' >/dev/null; then
		printf '%s\n' --locale=C.UTF-8
	else
		printf '%s\n' --no-locale
	fi
}

init_cluster() {
	if [ -f "$DATA/PG_VERSION" ]; then
		return 0
	fi
	if [ -d "$DATA" ] && [ -n "$(ls -A -- "$DATA")" ]; then
		die "'$DATA' exists, is not empty and holds no cluster: remove it or use another DIR"
	fi
	log "initialising a cluster in $DATA"
	local args=(-D "$DATA" -U postgres --auth=trust -E UTF8 "$(pick_locale)")
	if [ "${PGCLUSTER_FAST:-0}" = 1 ]; then args+=(--no-sync); fi
	if ! as_pg "$BINDIR/initdb" "${args[@]}" >"$DIR/initdb.log" 2>&1; then
		cat -- "$DIR/initdb.log" >&2
		die "initdb failed (output above, also in $DIR/initdb.log)"
	fi
	# Settings this script owns live in their own file, rewritten at every start.
	printf "\n# Written by db/pgcluster.sh at every start.\ninclude_if_exists = 'pgcluster.conf'\n" |
		as_pg tee -a "$DATA/postgresql.conf" >/dev/null
}

# conf_quote quotes a value for postgresql.conf.
conf_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

write_conf() {
	{
		echo "# Written by db/pgcluster.sh at every start: edit the script, not this file."
		echo "listen_addresses = ''"
		echo "unix_socket_directories = $(conf_quote "$DIR")"
		echo "port = $PORT"
		echo "max_connections = 200"
		if [ "${PGCLUSTER_FAST:-0}" = 1 ]; then
			echo "# PGCLUSTER_FAST=1: throwaway cluster, durability off"
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | as_pg tee "$DATA/pgcluster.conf" >/dev/null
}

# is_running succeeds when the cluster in DATA is running.
is_running() {
	[ -f "$DATA/PG_VERSION" ] || return 1
	as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# running_port prints the port of the running server, from postmaster.pid (line 4).
running_port() {
	sed -n 4p -- "$DATA/postmaster.pid" 2>/dev/null | tr -d '[:space:]'
}

psql_admin() {
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@"
}

create_db() {
	local db=$1
	[ "$db" = postgres ] && return 0
	psql_admin -v dbname="$db" >&2 <<'SQL'
SELECT format('CREATE DATABASE %I', :'dbname')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname')
\gexec
SQL
}

cmd_start() {
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
	DIR=$(abs_dir "$1")
	PORT=$2
	local db=${3:-postgres}
	check_port "$PORT"
	check_dbname "$db"
	check_socket_path "$DIR" "$PORT"
	DATA=$DIR/pg
	LOGFILE=$DIR/pg.log

	if ! BINDIR=$(find_bindir); then
		install_postgres
		BINDIR=$(find_bindir) || die "PostgreSQL server binaries still not found after installing"
	fi
	PSQL=$BINDIR/psql
	[ -x "$PSQL" ] || PSQL=$(command -v psql) || die "psql not found"

	ensure_postgres_user
	prepare_dir
	init_cluster

	if is_running; then
		local running
		running=$(running_port)
		if [ -n "$running" ] && [ "$running" != "$PORT" ]; then
			die "the cluster in '$DIR' is already running on port $running, not $PORT: stop it first (db/pgcluster.sh stop $1)"
		fi
		log "cluster in $DATA already running on port $PORT"
	else
		write_conf
		log "starting the cluster in $DATA on port $PORT (log: $LOGFILE)"
		if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >&2; then
			tail -n 30 -- "$LOGFILE" >&2 2>/dev/null || true
			die "the server did not start: see $LOGFILE"
		fi
	fi

	create_db "$db"
	print_url "$DIR" "$PORT" "$db"
}

cmd_stop() {
	[ $# -eq 1 ] || usage
	DIR=$(abs_dir "$1")
	DATA=$DIR/pg
	if [ ! -f "$DATA/PG_VERSION" ]; then
		log "no cluster in $DATA: nothing to stop"
		return 0
	fi
	BINDIR=$(find_bindir) || die "PostgreSQL server binaries not found"
	if ! is_running; then
		log "cluster in $DATA is not running"
		return 0
	fi
	log "stopping the cluster in $DATA"
	as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >&2
}

cmd_url() {
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
	local dir port=$2 db=${3:-postgres}
	dir=$(abs_dir "$1")
	check_port "$port"
	check_dbname "$db"
	check_socket_path "$dir" "$port"
	print_url "$dir" "$port" "$db"
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	case $cmd in
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	url) cmd_url "$@" ;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
}

main "$@"
