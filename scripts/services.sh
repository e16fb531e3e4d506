#!/usr/bin/env bash
# Starts the real PostgreSQL and Redis the test suite runs against, unless
# DATABASE_URL / REDIS_URL already point at servers. Prints `export` lines
# for the caller to eval, among them WRENN_STARTED_SERVICES: the servers this
# call started itself (ones already running are not listed).
#
#   eval "$(bash scripts/services.sh)"   start what is missing, export the URLs
#   bash scripts/services.sh stop        stop what WRENN_STARTED_SERVICES lists
set -euo pipefail
log() { printf '\033[1m[services]\033[0m %s\n' "$*" >&2; }
# Only the export lines go to the caller's stdout (fd 3); anything the tools
# print (pg_ctlcluster says "Removed stale pid file" on a cloned machine) goes
# to stderr so the caller's eval never runs it.
exec 3>&1 1>&2

if [ "${1:-}" = stop ]; then
  for service in ${WRENN_STARTED_SERVICES:-}; do
    case "$service" in
      postgresql:*)
        read -r version cluster <<<"$(echo "${service#postgresql:}" | tr / ' ')"
        log "stopping PostgreSQL $version/$cluster (started by this run)"
        pg_ctlcluster "$version" "$cluster" stop 3>&- || true
        ;;
      redis:*)
        log "stopping Redis on port ${service#redis:} (started by this run)"
        redis-cli -p "${service#redis:}" shutdown nosave >/dev/null 2>&1 || true
        ;;
    esac
  done
  exit 0
fi
started=()
# Interrupted half way (Ctrl-C while a server starts): stop what this call
# started, since its caller never gets the list.
stop_started() { WRENN_STARTED_SERVICES="${started[*]}" bash "$0" stop 3>/dev/null || true; }
trap 'stop_started; exit 130' INT
trap 'stop_started; exit 143' TERM
# Daemons started below get "3>&-": one that kept fd 3 would hold the
# caller's $(...) open forever.

if [ -z "${DATABASE_URL:-}" ]; then
  # WRENN_PG_CLUSTER=version/name picks a cluster; by default the first one.
  if [ -n "${WRENN_PG_CLUSTER:-}" ]; then
    pg_version=${WRENN_PG_CLUSTER%%/*} pg_cluster=${WRENN_PG_CLUSTER#*/}
  else
    read -r pg_version pg_cluster < <(pg_lsclusters -h | awk 'NR==1 {print $1, $2}')
  fi
  if [ -z "${pg_version:-}" ]; then
    echo "services: no PostgreSQL cluster found (is the postgresql package installed?)" >&2
    exit 1
  fi
  if ! pg_lsclusters -h | awk -v v="$pg_version" -v c="$pg_cluster" '$1==v && $2==c {print $4}' | grep -q online; then
    log "starting PostgreSQL $pg_version/$pg_cluster"
    pg_ctlcluster "$pg_version" "$pg_cluster" start 3>&-
    started+=("postgresql:$pg_version/$pg_cluster")
  fi
  port=$(pg_lsclusters -h | awk -v v="$pg_version" -v c="$pg_cluster" '$1==v && $2==c {print $3}')
  # A local test password for the postgres role; the server listens on loopback only.
  su postgres -c "psql -q -p $port -c \"ALTER ROLE postgres PASSWORD 'wrenn-test'\"" >/dev/null
  su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='wrenn_test'\"" | grep -q 1 \
    || su postgres -c "createdb -p $port wrenn_test"
  echo >&3 "export DATABASE_URL=postgres://postgres:wrenn-test@127.0.0.1:$port/wrenn_test"
fi

if [ -z "${REDIS_URL:-}" ]; then
  redis_port=${WRENN_REDIS_PORT:-6379}
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    log "starting Redis on 127.0.0.1:$redis_port"
    redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >/dev/null 3>&-
    started+=("redis:$redis_port")
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo >&3 "export REDIS_URL=redis://127.0.0.1:$redis_port/0"
fi

echo >&3 "export WRENN_STARTED_SERVICES='${started[*]}'"
