#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on 127.0.0.1:${SELFCAST_PG_PORT:-54329} and prints its URL.
# Prints nothing (and succeeds) when PostgreSQL is not installed, so tests skip the PG variants.
set -euo pipefail
PORT=${SELFCAST_PG_PORT:-54329}
DIR=${SELFCAST_PG_DIR:-/tmp/selfcast-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[[ -n $BIN && -x $BIN/initdb ]] || exit 0
RUN=()
if [[ $(id -u) -eq 0 ]]; then RUN=(runuser -u postgres --); fi
if ! "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  if [[ ! -f $DIR/PG_VERSION ]]; then
    mkdir -p "$DIR"; [[ $(id -u) -eq 0 ]] && chown postgres "$DIR"
    "${RUN[@]}" "$BIN/initdb" -D "$DIR" -U selfcast --auth=trust >/dev/null
  fi
  "${RUN[@]}" "$BIN/pg_ctl" -D "$DIR" -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" \
    -l "$DIR/server.log" -w start >/dev/null
fi
echo "postgresql+psycopg://selfcast@127.0.0.1:$PORT/postgres"
