#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs Moat's tests and ends with one line "N passed, N failed".
# Usage: run-tests.sh [unit|config|fuzz|boot ...]   (default: all of them)
set -uo pipefail
cd "$(dirname "$0")/.."
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit config fuzz boot)
passed=0 failed=0 skipped=0
failures=()

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); }

run_unit() {
	local t out rc ok
	for t in build/unit/*_test; do
		[ -x "$t" ] || continue
		out=$("$t" 2>&1)
		rc=$?
		ok=$(grep -c '^\[       OK \]' <<<"$out")
		passed=$((passed + ok))
		if [ $rc -ne 0 ]; then
			echo "$out" | grep -E '^\[  FAILED  \]|^\[  ERROR   \]|[Ff]ailure|ERROR|runtime error' | head -20
			local n=$rc
			[ $rc -ge 128 ] && n=1 # crashed: count the program once
			failed=$((failed + n))
			failures+=("unit/$(basename "$t") ($rc)")
		fi
		echo "unit $(basename "$t"): $ok passed, exit $rc"
	done
}

run_config() {
	local f dtb
	for f in configs/*.dts; do
		dtb=build/configs/$(basename "$f" .dts).dtb
		if build/moat-check "$dtb" >/dev/null; then
			echo "PASS config/$(basename "$f"): moat-check accepts it"
			pass
		else
			build/moat-check "$dtb"
			echo "FAIL config/$(basename "$f")"
			fail "config/$(basename "$f")"
		fi
	done
}

run_fuzz() {
	local out line
	out=$(scripts/fuzz.sh smoke 2>&1)
	while IFS= read -r line; do
		case "$line" in
		fuzz_*": ok"*) echo "PASS $line"; pass ;;
		fuzz_*FAILED*) echo "FAIL $line"; fail "${line%%:*}" ;;
		esac
	done <<<"$out"
	grep -q 'fuzz_.*: \(ok\|FAILED\)' <<<"$out" || { echo "$out" | tail -20; fail "fuzz (no result)"; }
}

run_boot() {
	local out line
	out=$(scripts/boot-test.sh)
	echo "$out" | grep -v '^boot tests:'
	passed=$((passed + $(grep -c '^PASS' <<<"$out")))
	skipped=$((skipped + $(grep -c '^SKIP' <<<"$out")))
	while IFS= read -r line; do
		fail "${line#FAIL }"
	done < <(grep '^FAIL' <<<"$out" | cut -d: -f1)
}

for s in "${suites[@]}"; do
	echo "== $s"
	"run_$s"
done
if [ $failed -ne 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
