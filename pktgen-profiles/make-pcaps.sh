#!/usr/bin/env bash
# Makes the pcaps and gsteer configs the profiles name, by running the
# "Generate:" line of each profile's header (the one place the command is
# written), from this folder, so they land in pcaps/.
#
#   make-pcaps.sh [--gen PATH] [--dir DIR] [PROFILE...] [-- GENERATOR OPTIONS]
#
# --gen   gsteer-pcapgen to use (default: build/pktgen-profiles/gsteer-pcapgen
#         of the repository, else gsteer-pcapgen in PATH)
# --dir   where pcaps/ is made (default: this folder)
# PROFILE profile names (line-rate-64-1flow ...) or files; default: all
# Options after -- are appended to every command and override the header's,
# e.g. your hosts' devargs and MACs:
#   make-pcaps.sh -- --devargs-in 0000:17:00.0 --devargs-out 0000:17:00.1 \
#       --dst-mac 3c:fd:fe:aa:bb:00 --appliance-mac 3c:fd:fe:cc:dd:01
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gen=
dir=$here
profiles=()
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--gen) gen=${2:?--gen needs a path}; shift 2 ;;
	--dir) dir=${2:?--dir needs a directory}; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "make-pcaps.sh: $1: unknown option (see --help)" >&2; exit 2 ;;
	*) profiles+=("$1"); shift ;;
	esac
done
if [ -z "$gen" ]; then
	if [ -x "$here/../build/pktgen-profiles/gsteer-pcapgen" ]; then
		gen=$here/../build/pktgen-profiles/gsteer-pcapgen
	else
		gen=$(command -v gsteer-pcapgen) ||
			{ echo "make-pcaps.sh: no gsteer-pcapgen: build first or give --gen" >&2; exit 2; }
	fi
fi
if [ ${#profiles[@]} -eq 0 ]; then
	profiles=("$here"/*.pkt "$here"/*.lua)
fi
mkdir -p "$dir/pcaps"
for p in "${profiles[@]}"; do
	f=
	for c in "$p" "$here/$p.pkt" "$here/$p.lua"; do
		[ -f "$c" ] && { f=$c; break; }
	done
	[ -n "$f" ] || { echo "make-pcaps.sh: no profile '$p'" >&2; exit 2; }
	line=$(sed -n 's/^\(#\|--\) Generate: gsteer-pcapgen //p' "$f")
	[ -n "$line" ] || { echo "make-pcaps.sh: $f has no Generate: line" >&2; exit 2; }
	echo "$(basename "$f"): gsteer-pcapgen $line ${extra[*]}"
	# the header's words are plain (no quotes, no variables): split them as the shell does
	read -r -a words <<<"$line"
	(cd "$dir" && "$gen" "${words[@]}" "${extra[@]}")
done
