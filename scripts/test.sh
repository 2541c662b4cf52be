#!/usr/bin/env bash
# `npm test`: every suite, in order; runs all of them even when one fails, prints a summary,
# exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results && rm -f test-results/vitest.json test-results/e2e.json test-results/pytest.xml  # no stale counts
export PATH="$PWD/node_modules/.bin:$PATH"  # call tools directly: npx re-warns about .npmrc keys
failed=()
run() {
  local name=$1; shift
  echo; echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - t0)) s)"; else echo "=== $name: FAILED ($((SECONDS - t0)) s)"; failed+=("$name"); fi
}
run typecheck tsc --noEmit -p tsconfig.json
run svelte-check svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output human
run vitest vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
run pytest bash scripts/pytest.sh --junitxml=test-results/pytest.xml
run build-renderer vite build --config vite.renderer.config.mts --logLevel warn
run e2e vitest run --config vitest.e2e.config.mts --reporter=default --reporter=json --outputFile.json=test-results/e2e.json
echo
if [ ${#failed[@]} -gt 0 ]; then echo "failed suites: ${failed[*]}"; else echo "all suites passed"; fi
node scripts/test-summary.mjs   # the closing line: "tests: N passed, N failed, N skipped"
[ ${#failed[@]} -eq 0 ]
