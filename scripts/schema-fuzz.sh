#!/usr/bin/env bash
# Fuzzes a running API from its OpenAPI document with schemathesis and fails on any 5xx.
#
#   scripts/schema-fuzz.sh BASE_URL SPEC_FILE [extra `st run` options...]
#   e.g. scripts/schema-fuzz.sh http://127.0.0.1:18080 openapi.yaml
#
# By default one check runs: not_a_server_error (any 5xx response is a failure); response schemas,
# status codes and content types are not judged unless the extra options ask (`--checks all`, as
# the end-to-end test does). Valid and invalid requests are both generated (mode
# all), including methods a path does not declare (those must get a 4xx too, e.g. 405).
# Operations that must not be fuzzed are left out by path: GET /api/v1/events (an endless SSE
# stream). Requests go to BASE_URL only: proxies from the environment are ignored and redirects
# are not followed.
#
# Environment:
#   SCHEMA_FUZZ_EXAMPLES  test cases per operation (default 25)
#   SCHEMA_FUZZ_SEED      random seed, so a run is repeatable (default 1)
#   SCHEMA_FUZZ_TIMEOUT   seconds per request; a request that times out fails the run (default 10)
#   SCHEMA_FUZZ_WORKERS   concurrent workers (default 1, which keeps runs repeatable)
#
# Extra options go to `st run` as they are; to leave out more operations add `--exclude-path PATH`
# (repeatable; ORed with the built-in exclusion).
#
# Exit status: 0 when schemathesis ran and found nothing; non-zero when it found a failure, hit an
# error (connection refused, timeout, bad spec) or could not start. Failing requests are printed
# with a curl line to reproduce them. Needs .tools/venv from scripts/bootstrap.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ST="$ROOT/.tools/venv/bin/st"

if [ $# -lt 2 ]; then
  echo "usage: $0 BASE_URL SPEC_FILE [extra 'st run' options]" >&2
  exit 2
fi
BASE_URL="$1"
SPEC="$2"
shift 2

if [ ! -f "$SPEC" ]; then
  echo "schema-fuzz: no spec file $SPEC" >&2
  exit 2
fi
if [ ! -x "$ST" ]; then
  echo "schema-fuzz: $ST missing; run scripts/bootstrap.sh first" >&2
  exit 2
fi
SPEC="$(cd "$(dirname "$SPEC")" && pwd)/$(basename "$SPEC")"

EXAMPLES="${SCHEMA_FUZZ_EXAMPLES:-25}"
SEED="${SCHEMA_FUZZ_SEED:-1}"
TIMEOUT="${SCHEMA_FUZZ_TIMEOUT:-10}"
WORKERS="${SCHEMA_FUZZ_WORKERS:-1}"

# Paths never fuzzed (every method of the path): endless streams. Matched against the spec's paths,
# written in full (/api/v1/events) or below a `servers:` base path of /api/v1 (/events).
EXCLUDED_PATHS_REGEX='^(/api/v1)?/events$'

# schemathesis and hypothesis keep caches (.schemathesis/, .hypothesis/) in the working directory;
# a fresh one per run keeps runs repeatable and the repo clean. It is kept when the run fails, so
# that `st replay` can be run from it.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/schema-fuzz.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# A run in which every operation got only 404s tested nothing (wrong BASE_URL, or a spec whose
# `servers:` base path BASE_URL lacks: --url replaces it): that fails too.
cat >"$WORK/schemathesis.toml" <<'TOML'
[warnings]
fail-on = ["base_url_mismatch"]
TOML

# No proxy from the environment: only BASE_URL is ever contacted.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'

args=(
  --config-file "$WORK/schemathesis.toml"
  run "$SPEC"
  --url "$BASE_URL"
  --checks not_a_server_error
  --max-examples "$EXAMPLES"
  --seed "$SEED"
  --workers "$WORKERS"
  --request-timeout "$TIMEOUT"
  --max-redirects 0
  --generation-database none
  --exclude-path-regex "$EXCLUDED_PATHS_REGEX"
)
[ -t 1 ] || args=(--no-color "${args[@]}")

echo "schema-fuzz: $BASE_URL, $(basename "$SPEC"), $EXAMPLES examples/operation, seed $SEED, not fuzzing paths $EXCLUDED_PATHS_REGEX"
set +e
(cd "$WORK" && "$ST" "${args[@]}" "$@")
status=$?
set -e
if [ $status -ne 0 ]; then
  if find "$WORK/.schemathesis" -name '*.json' ! -name manifest.json 2>/dev/null | grep -q .; then
    trap - EXIT   # keep the crash files for `st replay`
    echo "schema-fuzz: FAILED (schemathesis exit $status); replay the failures with: cd $WORK && $ST replay" >&2
  else
    echo "schema-fuzz: FAILED (schemathesis exit $status)" >&2
  fi
  exit $status
fi
echo "schema-fuzz: no server errors"
