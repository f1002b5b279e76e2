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

# The system's newest PostgreSQL cluster (Debian's packages), and pg_ctlcluster on it: pg_cluster start|stop|restart.
pg_version() { ls /etc/postgresql | sort -V | tail -n 1; }
pg_cluster() { pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main "$@"; }

# The native MariaDB (or MySQL) server, its client, and SQL or a shutdown as root (TCP, else the socket).
mysql_server() { if [ -x /usr/sbin/mariadbd ]; then echo /usr/sbin/mariadbd; else echo /usr/sbin/mysqld; fi; }
mysql_client=$(command -v mariadb || command -v mysql || true)
my_admin() { "$mysql_client" -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root --protocol=TCP -e "$1" 2>/dev/null || "$mysql_client" -u root -e "$1"; }
mysql_shutdown() {
  local admin
  admin=$(command -v mariadb-admin || command -v mysqladmin) || return 1
  "$admin" -h "$MYSQL_HOST" -P "$MYSQL_PORT" --protocol=TCP -u root shutdown 2>/dev/null || "$admin" -u root shutdown
}

# Starts the Kafka broker unless it runs (or another process serves its port), then waits
# until it answers metadata requests. Used by up and restart.
start_kafka() {
  if pid_alive "$KAFKA_PID_FILE"; then
    say "Kafka already running (pid $(cat "$KAFKA_PID_FILE"))"
  elif port_open 127.0.0.1 "$KAFKA_PORT"; then
    say "port $KAFKA_PORT is already served by another process; using it as the Kafka broker"
  else
    mkdir -p "$KAFKA_STATE/data" "$KAFKA_STATE/logs"
    sed "s:^# \`infra/local/up\` fills in log.dirs.:log.dirs=$KAFKA_STATE/data:" \
      "$ROOT/infra/kafka/server.properties" >"$KAFKA_STATE/server.properties"
    grep -q '^log.dirs=' "$KAFKA_STATE/server.properties" || echo "log.dirs=$KAFKA_STATE/data" >>"$KAFKA_STATE/server.properties"
    if [ ! -f "$KAFKA_STATE/data/meta.properties" ]; then
      say "formatting KRaft storage in $KAFKA_STATE/data"
      cluster_id=$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)
      java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" \
        -c "$KAFKA_STATE/server.properties" --ignore-formatted >/dev/null \
        || die "could not format KRaft storage in $KAFKA_STATE/data"
    fi
    say "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT; logs in $KAFKA_STATE/logs"
    nohup java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" -Dkafka.logs.dir="$KAFKA_STATE/logs" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties" \
      >"$KAFKA_STATE/logs/stdout.log" 2>&1 </dev/null &
    echo $! >"$KAFKA_PID_FILE"
  fi
  java -cp "$KAFKA_LIBS/*" "$ROOT/infra/kafka/WaitReady.java" "127.0.0.1:$KAFKA_PORT" 90 >&2 \
    || die "Kafka did not come up; see $KAFKA_STATE/logs/server.log"
}

# Stops the broker this script started (SIGTERM, then SIGKILL after 30 s). Used by down and restart.
stop_kafka() {
  local pid i
  if pid_alive "$KAFKA_PID_FILE"; then
    pid=$(cat "$KAFKA_PID_FILE")
    say "stopping Kafka (pid $pid)"
    kill "$pid"
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { say "Kafka did not stop in 30 s; killing it"; kill -9 "$pid"; }
  fi
  rm -f "$KAFKA_PID_FILE"
}
