#!/usr/bin/env bash
# Start MiniStack (a LocalStack-compatible AWS emulator from PyPI) on 127.0.0.1.
#
#   localstack/start.sh [--port N] [--foreground] [--fifo-dedup-fix]
#   localstack/start.sh --install-only       # just make sure .venv-ministack/ holds the pinned MiniStack
#
# --fifo-dedup-fix (benchmarks only) runs the emulator through localstack/ministack-fifo-dedup-fix.py,
# which replaces MiniStack 1.5.33's O(n)-per-send FIFO dedup pruning; see that file. Off by default: the
# tests and the demo run the emulator as published.
#
# Makes .venv-ministack/ with the pinned MiniStack if it is missing, picks a port (4566 when free, else any
# free one) unless --port is given, starts the emulator in the background (pid and log under
# .ministack/<port>/), waits for its health check and prints the endpoint URL as the last line.
# --foreground runs it attached to the terminal instead (npm run local).
set -euo pipefail

CRYPTOGRAPHY_VERSION="${CUTOVER_CRYPTOGRAPHY_VERSION:-50.0.2}"
MINISTACK_VERSION="1.5.33"
HEALTH_TIMEOUT_SECONDS="${MINISTACK_HEALTH_TIMEOUT:-60}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.venv-ministack"
STATE_ROOT="${ROOT}/.ministack"

port=""
foreground=0
install_only=0
dedup_fix=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:-}"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    --foreground) foreground=1; shift ;;
    --install-only) install_only=1; shift ;;
    --fifo-dedup-fix) dedup_fix=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "start.sh: unknown argument '$1' (expected --port N, --foreground, --fifo-dedup-fix or --install-only)" >&2; exit 2 ;;
  esac
done
if [ -n "${port}" ] && ! [[ "${port}" =~ ^[0-9]+$ && "${port}" -ge 1 && "${port}" -le 65535 ]]; then
  echo "start.sh: --port must be a number between 1 and 65535, got '${port}'" >&2
  exit 2
fi

log() { echo "[ministack] $*" >&2; }

command -v python3 >/dev/null || { echo "start.sh: python3 is required (3.10+) to run MiniStack" >&2; exit 1; }
mkdir -p "${STATE_ROOT}"

# --- the venv (serialised: two test runs may start at once) -------------------------------------------
ensure_venv() {
  local installed=""
  if [ -x "${VENV}/bin/python" ]; then
    installed="$("${VENV}/bin/python" -c 'import importlib.metadata as m; print(m.version("ministack"))' 2>/dev/null || true)"
  fi
  # cryptography: MiniStack verifies Cognito user pool tokens (API Gateway authorizers) only when it is
  # importable; without it every token is refused with 401.
  if [ "${installed}" = "${MINISTACK_VERSION}" ] && "${VENV}/bin/python" -c 'import cryptography' 2>/dev/null; then return 0; fi
  if [ ! -x "${VENV}/bin/python" ]; then
    log "creating ${VENV}"
    python3 -m venv "${VENV}" || {
      echo "start.sh: 'python3 -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2; exit 1; }
  fi
  log "installing ministack==${MINISTACK_VERSION} (pip log: ${STATE_ROOT}/pip.log)"
  if ! "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "ministack==${MINISTACK_VERSION}" "cryptography==${CRYPTOGRAPHY_VERSION}" \
      >"${STATE_ROOT}/pip.log" 2>&1; then
    tail -n 20 "${STATE_ROOT}/pip.log" >&2
    echo "start.sh: pip could not install ministack==${MINISTACK_VERSION} (see ${STATE_ROOT}/pip.log)" >&2
    exit 1
  fi
}
if command -v flock >/dev/null; then
  exec 9>"${STATE_ROOT}/venv.lock"
  flock -w 300 9 || { echo "start.sh: timed out waiting for another start.sh to build the venv" >&2; exit 1; }
  ensure_venv
  flock -u 9
  exec 9>&-
else
  ensure_venv
fi
PY="${VENV}/bin/python"
MINISTACK_RUN=(-m ministack)
[ "${dedup_fix}" = 1 ] && MINISTACK_RUN=("${ROOT}/localstack/ministack-fifo-dedup-fix.py")
if [ "${install_only}" = 1 ]; then
  log "ministack ${MINISTACK_VERSION} ready in ${VENV}"
  exit 0
fi

# --- ports ---------------------------------------------------------------------------------------------
port_is_free() {
  "${PY}" - "$1" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PYEOF
}
any_free_port() {
  "${PY}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
healthy() {
  "${PY}" - "$1" <<'PYEOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_ministack/health", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PYEOF
}

# MiniStack runs Lambda handlers as child node processes that inherit ITS environment. Start it from a
# clean one, so a function sees what its CDK definition declares plus the Lambda variables MiniStack sets
# (AWS_ENDPOINT_URL, AWS_REGION, ...) and not the caller's AWS_PROFILE, NODE_OPTIONS, NODE_ENV=test, ...
# MINISTACK_*, LAMBDA_*, SFN_* and LOG_LEVEL pass through as emulator settings.
clean_env() {
  local p="$1" name
  CLEAN_ENV=(
    "PATH=${PATH}" "HOME=${HOME:-/tmp}" "LANG=${LANG:-C.UTF-8}" "TMPDIR=${TMPDIR:-/tmp}"
    BIND_HOST=127.0.0.1 "GATEWAY_PORT=${p}"
    # Per-port state: MiniStack's default (/tmp/ministack-state) would be shared by every instance.
    "STATE_DIR=${STATE_ROOT}/${p}/state" "S3_DATA_DIR=${STATE_ROOT}/${p}/s3"
    "MINISTACK_REGION=${CUTOVER_REGION:-us-east-1}"
  )
  for name in TZ SSL_CERT_FILE SSL_CERT_DIR NODE_EXTRA_CA_CERTS; do
    [ -n "${!name:-}" ] && CLEAN_ENV+=("${name}=${!name}")
  done
  while IFS= read -r name; do
    case "${name}" in
      MINISTACK_REGION) ;;
      MINISTACK_*|LAMBDA_*|SFN_*|LOG_LEVEL) CLEAN_ENV+=("${name}=${!name}") ;;
    esac
  done < <(compgen -e)
  mkdir -p "${STATE_ROOT}/${p}/state"
}

if [ "${foreground}" = 1 ]; then
  if [ -z "${port}" ]; then
    if port_is_free 4566; then port=4566; else port="$(any_free_port)"; fi
  elif ! port_is_free "${port}"; then
    echo "start.sh: port ${port} on 127.0.0.1 is already in use" >&2; exit 1
  fi
  clean_env "${port}"
  log "MiniStack ${MINISTACK_VERSION} in the foreground; Ctrl-C stops it"
  echo "http://127.0.0.1:${port}"
  exec env -i "${CLEAN_ENV[@]}" "${PY}" "${MINISTACK_RUN[@]}"
fi

# --- background start, with a retry on another port if we lost a race for the one we picked ----------
attempts=1
[ -z "${port}" ] && attempts=3
given_port="${port}"
for attempt in $(seq 1 "${attempts}"); do
  if [ -n "${given_port}" ]; then
    port="${given_port}"
    port_is_free "${port}" || { echo "start.sh: port ${port} on 127.0.0.1 is already in use" >&2; exit 1; }
  elif [ "${attempt}" = 1 ] && port_is_free 4566; then
    port=4566
  else
    port="$(any_free_port)"
  fi
  dir="${STATE_ROOT}/${port}"
  mkdir -p "${dir}"
  logfile="${dir}/ministack.log"
  clean_env "${port}"
  rm -f "${dir}/patches"
  (
    cd "${dir}"
    exec env -i "${CLEAN_ENV[@]}" nohup "${PY}" "${MINISTACK_RUN[@]}" </dev/null >"${logfile}" 2>&1
  ) &
  pid=$!
  echo "${pid}" >"${dir}/pid"
  log "starting on port ${port} (pid ${pid}, log ${logfile})"

  deadline=$(( $(date +%s) + HEALTH_TIMEOUT_SECONDS ))
  while :; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      log "MiniStack exited during start-up; last log lines:"
      tail -n 15 "${logfile}" >&2 || true
      rm -f "${dir}/pid"
      break
    fi
    # Our own log must say it bound the port: a health answer alone could come from another instance.
    if grep -q "Running on http://127.0.0.1:${port}" "${logfile}" 2>/dev/null && healthy "${port}"; then
      echo "http://127.0.0.1:${port}" >"${dir}/endpoint"
      echo "http://127.0.0.1:${port}"
      exit 0
    fi
    if [ "$(date +%s)" -ge "${deadline}" ]; then
      log "not healthy after ${HEALTH_TIMEOUT_SECONDS}s; stopping it. Last log lines:"
      tail -n 15 "${logfile}" >&2 || true
      kill "${pid}" 2>/dev/null || true
      rm -f "${dir}/pid"
      exit 1
    fi
    sleep 0.5
  done
done
echo "start.sh: MiniStack did not start (tried ${attempts} time(s)); see the log above" >&2
exit 1
