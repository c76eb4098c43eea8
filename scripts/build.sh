#!/usr/bin/env bash
# Configures (once) and builds gsteer into build/ and, with --asan, the
# AddressSanitizer/UndefinedBehaviorSanitizer build into build-asan/.
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

setup build
if [ "${1:-}" = "--asan" ]; then
	# b_lundef=false: sanitizer runtimes resolve symbols at load time
	setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi
