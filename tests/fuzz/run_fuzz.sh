#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# One bounded libFuzzer run, as the 'fuzz' meson test suite does it:
#
#   run_fuzz.sh TARGET CORPUS_DIR [SECONDS]
#
# The checked-in corpus is only read: new inputs go to a scratch directory
# that is removed afterwards, crash/leak/timeout inputs are kept in
# $GS_FUZZ_ARTIFACTS (default: the current directory, i.e. the meson build
# dir) so a failure can be reproduced with `TARGET FILE`.  Time: SECONDS,
# else $GS_FUZZ_SECONDS, else 15.
set -euo pipefail

target=${1:?fuzz target}
corpus=${2:?corpus dir}
secs=${3:-${GS_FUZZ_SECONDS:-15}}
art=${GS_FUZZ_ARTIFACTS:-$PWD}
name=$(basename "$target")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$art"

# -timeout: one input taking this long is a bug (hang); -rss_limit_mb
# keeps a memory blow-up from taking the shared machine down
set +e
"$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=4096 -print_final_stats=1 -artifact_prefix="$art/$name-" \
	"$scratch" "$corpus" 2>&1 | tail -n 60
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo "run_fuzz: $name failed ($rc); reproducer(s) in $art/$name-*" >&2
fi
exit "$rc"
