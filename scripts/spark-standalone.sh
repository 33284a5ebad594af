#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the jars the Spark module resolved (no Spark
# distribution): one master and N workers, for trying `refusal4j run --spark spark://...` and for
# scaling measurements.
#
# Usage: scripts/spark-standalone.sh start [WORKERS]   (default 2; prints the master URL)
#        scripts/spark-standalone.sh stop
# Environment: WORK (logs, pids and the SPARK_HOME the workers launch executors from, default
#   /tmp/refusal4j-spark-standalone), WORKER_CORES (cores each worker offers, default 1),
#   WORKER_MEMORY (default 4g), PORT (the master's, default 7077), PIN=1 (worker i and the executors
#   it starts run on CPU i-1 only, so that a scaling measurement on one machine gives each worker its
#   own core: the kernels otherwise use every core the JVM sees, whatever --cores says).
# Needs the module built: bin/maven -f reactor.xml -DskipTests package
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${WORK:-/tmp/refusal4j-spark-standalone}" PORT="${PORT:-7077}"
WORKER_CORES="${WORKER_CORES:-1}" WORKER_MEMORY="${WORKER_MEMORY:-4g}"
cp_file="$here/refusal4j-spark/target/classpath"

stop() {
  for f in "$WORK"/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    kill "$pid" 2>/dev/null && echo "stopped $(basename "$f" .pid) ($pid)"
    rm -f "$f"
  done
}

case "${1:-}" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start [WORKERS] | stop" >&2; exit 2 ;;
esac
workers="${2:-2}"
[ -f "$cp_file" ] || { echo "spark-standalone: $cp_file is missing: build the module with 'bin/maven -f reactor.xml -DskipTests package'" >&2; exit 3; }
JAVA_HOME="$("$here/bin/find-jdk")" || exit 3
export JAVA_HOME
stop >/dev/null
mkdir -p "$WORK/spark-home/jars" "$WORK/logs"
# A worker starts executors with $SPARK_HOME/jars on their class path: Spark's jars, linked.
rm -f "$WORK/spark-home/jars/"*.jar
tr ':' '\n' < "$cp_file" | while read -r j; do ln -sf "$j" "$WORK/spark-home/jars/"; done
export SPARK_HOME="$WORK/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
java=("$JAVA_HOME/bin/java" -Xmx512m --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED -cp "$(cat "$cp_file")")
master="spark://127.0.0.1:$PORT"
"${java[@]}" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" --webui-port 0 > "$WORK/logs/master.log" 2>&1 &
echo $! > "$WORK/master.pid"
for i in $(seq 1 "$workers"); do
  pin=()
  [ "${PIN:-0}" = 1 ] && pin=(taskset -c "$(( (i - 1) % $(nproc) ))")
  "${pin[@]}" "${java[@]}" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" \
    --webui-port 0 --work-dir "$WORK/work-$i" "$master" > "$WORK/logs/worker-$i.log" 2>&1 &
  echo $! > "$WORK/worker-$i.pid"
done
for _ in $(seq 1 180); do   # until every worker has registered (a busy machine takes minutes)
  [ "$(grep -l "Successfully registered with master" "$WORK"/logs/worker-*.log 2>/dev/null | wc -l)" -ge "$workers" ] && { echo "$master"; exit 0; }
  sleep 1
done
echo "spark-standalone: the workers did not register within 180 s; see $WORK/logs" >&2
exit 1
