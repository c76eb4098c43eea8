#!/usr/bin/env bash
# Configures (once) and builds gsteer into build/ and, with --asan, the
# AddressSanitizer/UndefinedBehaviorSanitizer build into build-asan/.
# With --fuzz, only the libFuzzer targets, with clang, into build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

setup() { # dir, meson args...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log" >&2; exit 1; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log" >&2; exit 1; }
}

if [ "${1:-}" = "--fuzz" ]; then
	# clang with libFuzzer; only the fuzz targets are built (tests/fuzz)
	dir=build-fuzz
	if [ ! -f "$dir/build.ninja" ]; then
		CC=clang meson setup "$dir" -Dfuzz=true -Dxdp=disabled \
			-Db_sanitize=address,undefined -Db_lundef=false \
			>"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; exit 1; }
	fi
	targets=$(ninja -C "$dir" -t targets all |
		sed -n 's|^\(tests/fuzz/fuzz_[a-z_]*\): .*|\1|p')
	# shellcheck disable=SC2086
	ninja -C "$dir" $targets >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log" >&2; exit 1; }
	exit 0
fi

setup build
if [ "${1:-}" = "--asan" ]; then
	# b_lundef=false: sanitizer runtimes resolve symbols at load time
	setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi
