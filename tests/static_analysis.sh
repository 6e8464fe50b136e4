#!/usr/bin/env bash
# Static analysis of every C source: clang-tidy (the checked-in .clang-tidy) and cppcheck
# (warning, style, performance and portability; tests/static/cppcheck.supp holds its few
# suppressions, each with its reason). The build's sources come from its
# compile_commands.json, with its flags; the sources no CMake target compiles (the fuzz target
# and the no-fold probe) are checked with the flags their scripts use.
#
# Every finding fails, except one listed in tests/static/known_findings (file, check and a
# reason): false positives and style rules the compiler contradicts, each explained there.
#
#   static_analysis.sh SOURCE_DIR BUILD_DIR [CLANG_TIDY] [CPPCHECK]
set -euo pipefail
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) tidy=${3:-clang-tidy} cppcheck=${4:-cppcheck}
jobs=$(nproc)
extra=("$src/tests/fuzz/fuzz_options.c" "$src/tests/kernel_probe.c")
extra_flags=(-std=c11 -D_POSIX_C_SOURCE=200809L '-DGF_VERSION="0"' -I"$src/shared")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

mapfile -t files < <(python3 -c '
import json, sys
seen = set()
for e in json.load(open(sys.argv[1] + "/compile_commands.json")):
    if e["file"] not in seen:
        seen.add(e["file"])
        print(e["file"])' "$build")
echo "static analysis: ${#files[@]} sources from $build/compile_commands.json and ${#extra[@]} more"

# clang-tidy's exit status is ignored: its findings are read from its output below.
echo "== clang-tidy"
printf '%s\n' "${files[@]}" | xargs -P"$jobs" -n1 "$tidy" -p "$build" --quiet \
	>"$out/tidy1" 2>/dev/null || true
"$tidy" --quiet "${extra[@]}" -- "${extra_flags[@]}" >"$out/tidy2" 2>/dev/null || true

echo "== cppcheck"
cd "$src" # so that it names files relative to the source tree, as the suppressions do
common=(--enable=warning,style,performance,portability --std=c11 --inline-suppr -q
	--suppress=missingIncludeSystem --suppressions-list="$src/tests/static/cppcheck.supp"
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]')
"$cppcheck" "${common[@]}" -j"$jobs" --project="$build/compile_commands.json" 2>"$out/cpp1"
"$cppcheck" "${common[@]}" -D_POSIX_C_SOURCE=200809L -DGF_VERSION='"0"' -I"$src/shared" \
	"${extra[@]}" 2>"$out/cpp2"

# The control must be reported by both tools, with the same configuration.
control=$src/tests/static/control.c
report=$("$tidy" --quiet "$control" -- "${extra_flags[@]}" 2>/dev/null || true)
if [[ $report != *"after it is freed"* ]]; then
	echo "FAIL: clang-tidy does not report the control's use after free"
	exit 1
fi
report=$("$cppcheck" "${common[@]}" "$control" 2>&1 || true)
if [[ $report != *deallocuse* ]]; then
	echo "FAIL: cppcheck does not report the control's use after free"
	exit 1
fi
echo "ok   both tools report the control's use after free"

# One line per finding, "path:line: [check] message", matched against the known findings.
python3 - "$src" "$src/tests/static/known_findings" "$out"/tidy1 "$out"/tidy2 "$out"/cpp1 \
	"$out"/cpp2 <<'PY'
import os, re, sys
src, known_file, outputs = sys.argv[1], sys.argv[2], sys.argv[3:]
diag = re.compile(r"^(\S+?):(\d+):\d+: (?:error|warning|style|performance|portability|"
                  r"information): (.*) \[([^\],]+)[^\]]*\]$")
known = []
for line in open(known_file):
    line = line.split("#", 1)[0].split()
    if line:
        known.append((line[0], line[1]))
found = set()
for path in outputs:
    for line in open(path, errors="replace"):
        m = diag.match(line.strip())
        if m:
            f = os.path.relpath(os.path.join(src, m.group(1)), src)
            found.add((f, int(m.group(2)), m.group(4), m.group(3)))
new = 0
for f, line, check, msg in sorted(found):
    if (f, check) in known:
        print(f"known, reported: {f}:{line}: [{check}] {msg}")
    else:
        print(f"FINDING: {f}:{line}: [{check}] {msg}")
        new += 1
print(f"static analysis: {new} findings, {len(found) - new} known")
sys.exit(1 if new else 0)
PY
