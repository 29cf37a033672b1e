#!/usr/bin/env bash
# Stop MiniStack instances that localstack/start.sh started.
#
#   localstack/stop.sh [--port N]
#
# With --port, stops the instance on that port; without it, every instance recorded under .ministack/.
# Only a process whose command line is MiniStack is signalled (a stale pid file never kills a stranger).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_ROOT="${ROOT}/.ministack"

port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:-}"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "stop.sh: unknown argument '$1' (expected --port N)" >&2; exit 2 ;;
  esac
done

is_ministack() {
  local pid="$1"
  [ -r "/proc/${pid}/cmdline" ] && tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qE -- "-m ministack|ministack-fifo-dedup-fix\.py" && return 0
  # No /proc (macOS): fall back to ps.
  [ ! -d /proc ] && ps -p "${pid}" -o command= 2>/dev/null | grep -qE -- "-m ministack|ministack-fifo-dedup-fix\.py"
}

stop_one() {
  local dir="$1" pidfile="$1/pid" pid
  [ -f "${pidfile}" ] || return 0
  pid="$(cat "${pidfile}")"
  if [[ "${pid}" =~ ^[0-9]+$ ]] && kill -0 "${pid}" 2>/dev/null && is_ministack "${pid}"; then
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "${pid}" 2>/dev/null; then
      echo "[ministack] pid ${pid} ignored SIGTERM for 10s; sending SIGKILL" >&2
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    echo "[ministack] stopped pid ${pid} ($(basename "${dir}"))" >&2
  fi
  # Keep the log for post-mortems; the emulator's state (code blobs, S3 data) is useless once it is down.
  rm -rf "${pidfile}" "${dir}/endpoint" "${dir}/state" "${dir}/s3"
}

if [ -n "${port}" ]; then
  stop_one "${STATE_ROOT}/${port}"
else
  for dir in "${STATE_ROOT}"/*/; do
    [ -d "${dir}" ] && stop_one "${dir%/}"
  done
fi
