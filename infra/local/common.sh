# Shared settings of infra/local/up and infra/local/down. Sourced, not run.
# The endpoints, users, passwords and databases are exactly those of docker-compose.yml.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ETL_DB_USER=etl
ETL_DB_PASSWORD=etl
ETL_DB_NAME=etl
PG_HOST=127.0.0.1
PG_PORT=5432
MYSQL_HOST=127.0.0.1
MYSQL_PORT=3306
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
# One place says which Kafka: the pom (docker-compose.yml's image tag is checked against it by a test).
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/infra/kafka/pom.xml")
# Downloads live outside the repository; state (data, logs, pid files) too.
ETL_CACHE_DIR=${ETL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/etl}
ETL_STATE_DIR=${ETL_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/etl}
KAFKA_LIBS="$ETL_CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_STATE="$ETL_STATE_DIR/kafka"
KAFKA_PID_FILE="$KAFKA_STATE/kafka.pid"

say() { printf 'infra: %s\n' "$*" >&2; }
die() { printf 'infra: error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds what
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    port_open "$1" "$2" && return 0
    sleep 0.2
  done
  die "$4 did not open $1:$2 within $3 s"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
