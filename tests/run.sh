#!/usr/bin/env bash
# The whole test suite on a fresh machine, as CI runs it (.ci/run calls this script):
#   1. a virtual environment with the project and its test extras;
#   2. PostgreSQL from Debian's packages, started, for the storage, replica and real-server tests;
#   3. lint and type fences (ruff, mypy);
#   4. every test on the simulator;
#   5. Mattermost Team Edition built from source (cached in ~/.cache/playbooks-bot/mattermost),
#      then the end-to-end and conformance tests against it.
# Each phase prints how long it took; the script fails if any phase fails.
set -uo pipefail
cd "$(dirname "$0")/.."

declare -a PHASES=()
FAILED=0
started=$(date +%s)
phase_start=$started

phase() {  # phase NAME STATUS: record how long the phase since the last mark took
  local now
  now=$(date +%s)
  PHASES+=("$(printf '%-34s %5ds  %s' "$1" $((now - phase_start)) "$2")")
  phase_start=$now
  [[ "$2" == ok ]] || FAILED=1
}

run_phase() {  # run_phase NAME COMMAND...: run it, record it
  local name=$1
  shift
  echo "== $name"
  local status=0
  "$@" || status=$?
  if ((status == 0)); then phase "$name" ok; else phase "$name" "FAILED ($status)"; fi
  return $status
}

summary() {
  echo
  echo "== phases"
  printf '%s\n' "${PHASES[@]}"
  printf '%-34s %5ds\n' "total" $(($(date +%s) - started))
}
trap summary EXIT

install_project() {
  python3 -m venv .venv &&
    .venv/bin/python -m pip install --quiet --upgrade pip &&
    .venv/bin/python -m pip install --quiet -e '.[test]'
}

start_postgres() {
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "installing PostgreSQL from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
  fi
  local version
  version=$(basename "$(dirname "$(dirname "$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -1)")")")
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
      pg_createcluster "$version" main >/dev/null || return 1
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || return 1
    for _ in $(seq 1 40); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.25; done
  fi
  # Debian's cluster asks for a password over TCP: give the superuser a known one for the tests.
  runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'" || return 1
  export PLAYBOOKS_TEST_POSTGRES_URL="postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres"
}

fences() {
  .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy &&
    .venv/bin/python -m pytest -q tests/test_layers.py
}

run_phase "install the project" install_project || exit 1
run_phase "PostgreSQL" start_postgres
run_phase "ruff, mypy and the import fences" fences
run_phase "suite on the simulator" .venv/bin/python -m pytest
run_phase "build Mattermost" .venv/bin/python -m mattermost_real build
run_phase "end-to-end on real Mattermost" env PLAYBOOKS_TEST_MATTERMOST=real \
  .venv/bin/python -m pytest tests/e2e tests/conformance
exit $FAILED
