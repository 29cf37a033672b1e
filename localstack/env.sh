# shellcheck shell=bash
# Source me: `source localstack/env.sh http://127.0.0.1:4566` (or with CUTOVER_ENDPOINT already set).
# Points the AWS CLI, the SDK v3 and the CDK CLI at a local emulator with throwaway credentials, so a
# deploy or a test can never reach a real account by accident.
_cutover_endpoint="${1:-${CUTOVER_ENDPOINT:-}}"
if [ -z "${_cutover_endpoint}" ]; then
  echo "localstack/env.sh: no endpoint given (pass it as \$1 or set CUTOVER_ENDPOINT)" >&2
  return 2 2>/dev/null || exit 2
fi
export CUTOVER_ENDPOINT="${_cutover_endpoint}"
export AWS_ENDPOINT_URL="${_cutover_endpoint}"
export AWS_ENDPOINT_URL_S3="${_cutover_endpoint}"
export AWS_REGION="${CUTOVER_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_REGION}"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
# The emulator's fixed account; the CDK reads these for env-agnostic stacks.
export CDK_DEFAULT_ACCOUNT=000000000000
export CDK_DEFAULT_REGION="${AWS_REGION}"
# A real session or profile must not leak into an emulator run.
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
unset _cutover_endpoint
