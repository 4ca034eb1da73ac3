#!/usr/bin/env bash
# Where the test suite's time goes: runs each spec file on its own (serially, with the project's mocha setup
# less its file list) and prints one line per file, longest first:   wall-seconds  cpu-seconds  file
# (cpu = user + system of mocha and every process it started: the figure to compare on a loaded machine).
#
#   bench/suite-times.sh                  every spec file
#   bench/suite-times.sh tests/audit/*.ts only these
#   SUITE_TIMES_STEPS=1 bench/suite-times.sh   also times the other steps of `npm test` (typecheck, lint)
#
# The run as a whole (`npm test`, mocha in parallel workers) takes less than the sum: see CONTRIBUTING.md.
set -uo pipefail
cd "$(dirname "$0")/.."
specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then mapfile -t specs < <(ls tests/*/*.spec.ts); fi
# the project's loader and node options (.mocharc.json), without its file list, parallelism and timeout
flags=$(node -p 'const c = require("./.mocharc.json"); [...(c.require ?? []).map((r) => "--require " + r), ...(c["node-option"] ?? []).map((o) => "--node-option " + o)].join(" ")')
out=$(mktemp)
log=$(mktemp)
step() { # label command...
  /usr/bin/time -f "%e %U %S" -o "$log" "${@:2}" >/dev/null 2>&1 || echo "FAILED: $1 (its figures are up to the failure)" >&2
  tail -1 "$log" | awk -v f="$1" '{ printf "%8.2f %8.2f  %s\n", $1, $2 + $3, f }' >>"$out"
}
if [ "${SUITE_TIMES_STEPS:-}" = 1 ]; then
  step "(typecheck)" npm run typecheck
  step "(lint)" npm run lint
fi
for f in "${specs[@]}"; do
  # shellcheck disable=SC2086 # $flags is a list of flags
  step "$f" npx mocha --no-config $flags --extension ts --timeout 240000 --reporter dot --exit "$f"
done
sort -rn "$out"
awk '{ w += $1; c += $2 } END { printf "%8.2f %8.2f  total (%d lines)\n", w, c, NR }' "$out"
rm -f "$out" "$log"
