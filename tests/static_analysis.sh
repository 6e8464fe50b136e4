#!/usr/bin/env bash
# Static analysis of every C source: clang-tidy (the checked-in .clang-tidy, every finding an
# error) and cppcheck (warning, style, performance and portability; tests/static/cppcheck.supp
# holds the few suppressions, each with its reason). The build's sources come from its
# compile_commands.json, with its flags; the sources no CMake target compiles (the fuzz target
# and the no-fold probe) are checked with the flags their scripts use.
#
#   static_analysis.sh SOURCE_DIR BUILD_DIR [CLANG_TIDY] [CPPCHECK]
set -euo pipefail
src=$1 build=$2 tidy=${3:-clang-tidy} cppcheck=${4:-cppcheck}
jobs=$(nproc)
extra=("$src/tests/fuzz/fuzz_options.c" "$src/tests/kernel_probe.c")
extra_flags=(-std=c11 -D_POSIX_C_SOURCE=200809L '-DGF_VERSION="0"' -I"$src/shared")
fails=0

mapfile -t files < <(python3 -c '
import json, sys
seen = set()
for e in json.load(open(sys.argv[1] + "/compile_commands.json")):
    f = e["file"]
    if f not in seen:
        seen.add(f)
        print(f)' "$build")
echo "static analysis: ${#files[@]} sources from $build/compile_commands.json and ${#extra[@]} more"

echo "== clang-tidy"
if ! printf '%s\n' "${files[@]}" | xargs -P"$jobs" -n1 "$tidy" -p "$build" --quiet; then
	fails=$((fails + 1))
fi
if ! "$tidy" --quiet "${extra[@]}" -- "${extra_flags[@]}"; then
	fails=$((fails + 1))
fi

echo "== cppcheck"
cd "$src" # so that it names files relative to the source tree, as the suppressions do
common=(--enable=warning,style,performance,portability --std=c11 --inline-suppr -q
	--error-exitcode=1 --suppress=missingIncludeSystem
	--suppressions-list="$src/tests/static/cppcheck.supp")
if ! "$cppcheck" "${common[@]}" -j"$jobs" --project="$build/compile_commands.json"; then
	fails=$((fails + 1))
fi
if ! "$cppcheck" "${common[@]}" -D_POSIX_C_SOURCE=200809L -DGF_VERSION='"0"' -I"$src/shared" \
	"${extra[@]}"; then
	fails=$((fails + 1))
fi

if [ "$fails" -ne 0 ]; then
	echo "static analysis: findings above"
	exit 1
fi
echo "static analysis: no findings"
