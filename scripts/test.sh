#!/usr/bin/env bash
# Runs every gsteer test suite on a fresh Debian 12 machine: installs what is
# missing, builds the normal and the ASan/UBSan builds, runs all suites in the
# first and the unit, fixture, control-daemon and soak suites in the second,
# runs every libFuzzer target for a short while in a third (clang) build,
# and ends with one line "N passed, N failed" summed from meson's own counts.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh || exit 1
bash scripts/build.sh --asan || exit 1

passed=0
failed=0
status=0

run_suites() { # builddir, meson test args...
	local dir=$1; shift
	local log="$dir/test-summary.log"
	meson test -C "$dir" --print-errorlogs --num-processes 1 "$@" 2>&1 | tee "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
	local ok xfail fail xpass tmo
	ok=$(awk '/^Ok:/ {print $2}' "$log")
	xfail=$(awk '/^Expected Fail:/ {print $3}' "$log")
	fail=$(awk '/^Fail:/ {print $2}' "$log")
	xpass=$(awk '/^Unexpected Pass:/ {print $3}' "$log")
	tmo=$(awk '/^Timeout:/ {print $2}' "$log")
	passed=$((passed + ${ok:-0} + ${xfail:-0}))
	failed=$((failed + ${fail:-0} + ${xpass:-0} + ${tmo:-0}))
}

run_suites build
# the sanitizer build repeats what exercises our own code hardest
run_suites build-asan --suite unit --suite fixtures --suite ctrl --suite soak --no-suite slow

# libFuzzer targets (clang, ASan+UBSan), each run for GS_FUZZ_SECONDS
# (default 15) from its checked-in corpus; only the fuzz targets are built
if bash scripts/build.sh --fuzz; then
	run_suites build-fuzz --suite fuzz --no-rebuild
else
	echo "test.sh: the fuzz build failed" >&2
	failed=$((failed + 1))
	status=1
fi

echo "${passed} passed, ${failed} failed"
exit "$status"
