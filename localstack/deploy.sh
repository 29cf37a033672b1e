#!/usr/bin/env bash
# Deploy the CDK app to the emulator at $CUTOVER_ENDPOINT with the plain CDK CLI.
#
#   CUTOVER_ENDPOINT=http://127.0.0.1:4566 localstack/deploy.sh [StackName ...]
#
# Bootstraps the endpoint when it has no CDKToolkit stack yet (a fresh or reset emulator), then deploys the
# named stacks, or all of them, writing stack outputs to $CUTOVER_OUTPUTS_FILE (default .cutover/outputs.json).
# CDK_OUTDIR (default cdk.out) lets concurrent deploys from one checkout keep their cloud assemblies apart.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_DIR="${CUTOVER_CDK_APP_DIR:-${ROOT}}"
OUTPUTS_FILE="${CUTOVER_OUTPUTS_FILE:-${ROOT}/.cutover/outputs.json}"
OUTDIR="${CDK_OUTDIR:-cdk.out}"

if [ -z "${CUTOVER_ENDPOINT:-}" ]; then
  echo "deploy.sh: set CUTOVER_ENDPOINT to the emulator URL (localstack/start.sh prints it)" >&2
  exit 2
fi
# shellcheck source=localstack/env.sh
source "${ROOT}/localstack/env.sh" "${CUTOVER_ENDPOINT}"
export CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true
# Node 20 makes SDK v3 print a support-window notice on every process; it hides real messages in logs.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

CDK="${ROOT}/node_modules/.bin/cdk"
[ -x "${CDK}" ] || { echo "deploy.sh: ${CDK} not found; run npm ci first" >&2; exit 1; }
mkdir -p "$(dirname "${OUTPUTS_FILE}")"
cd "${APP_DIR}"

# Is the endpoint bootstrapped? Asking the emulator (not a marker file) stays right after a reset/restart.
bootstrapped="$(
  cd "${ROOT}" && node -e '
    const { CloudFormationClient, DescribeStacksCommand } = require("@aws-sdk/client-cloudformation");
    new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: "CDKToolkit" }))
      .then((r) => console.log(/_COMPLETE$/.test(r.Stacks?.[0]?.StackStatus ?? "") && !/DELETE|ROLLBACK/.test(r.Stacks[0].StackStatus) ? "yes" : "no"))
      .catch(() => console.log("no"));'
)"
start=$(date +%s)
if [ "${bootstrapped}" != "yes" ]; then
  echo "[deploy] bootstrapping aws://${CDK_DEFAULT_ACCOUNT}/${AWS_REGION} at ${CUTOVER_ENDPOINT}" >&2
  # Run outside the app directory: with a cdk.json at hand, bootstrap would synthesize the whole app first.
  scratch="$(mktemp -d)"
  (cd "${scratch}" && "${CDK}" bootstrap "aws://${CDK_DEFAULT_ACCOUNT}/${AWS_REGION}" --no-notices --ci >&2)
  rm -rf "${scratch}"
fi

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(--all)
echo "[deploy] cdk deploy ${targets[*]} -> ${CUTOVER_ENDPOINT}" >&2
# MiniStack 1.5.33 refuses a template with AWS::Logs::QueryDefinition (the saved Logs Insights queries):
# leave them out here; AWS deploys them (checked in the infra tier).
# The e2e suites and the demo play the routed implementations by reading the inboxes themselves, so the
# reference inbox consumer stays off here unless CUTOVER_REFERENCE_CONSUMERS=true.
"${CDK}" deploy "${targets[@]}" -c savedQueries=false -c "referenceConsumers=${CUTOVER_REFERENCE_CONSUMERS:-false}" --require-approval never --outputs-file "${OUTPUTS_FILE}" \
  --output "${OUTDIR}" --no-notices --ci --progress events >&2
echo "[deploy] done in $(( $(date +%s) - start ))s; outputs in ${OUTPUTS_FILE}" >&2
