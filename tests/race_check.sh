#!/usr/bin/env bash
# Race check of the OpenMP backend with ThreadSanitizer. libgomp's barriers and locks are
# futexes and atomics that neither TSan nor helgrind/DRD can see, so every region would be
# reported; LLVM's OpenMP runtime (libomp) with its OMPT tool Archer tells TSan what each
# barrier, task and lock orders. So gilfree-omp is built again with clang and
# -fsanitize=thread, linked against libomp, and run on every workload and several team sizes
# with halt_on_error. Two controls keep the check honest: a racy program must be reported,
# and a barrier-synchronised one must pass with Archer on and be reported with it off (which
# shows Archer is what makes the barrier visible).
#
#   race_check.sh SOURCE_DIR WORKDIR [CLANG]
set -euo pipefail
src=$1 work=$2 cc=${3:-clang}
mkdir -p "$work"
fails=0 passes=0
result() { # status message
	if [ "$1" -eq 0 ]; then
		passes=$((passes + 1))
		echo "ok   $2"
	else
		fails=$((fails + 1))
		echo "FAIL $2"
	fi
}

export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ignore_noninstrumented_modules=1"
export ARCHER_OPTIONS="verbose=1" # it then says, on stdout, that it is loaded
tsan=(-g -O1 -fopenmp -fsanitize=thread -fno-omit-frame-pointer)

"$cc" "${tsan[@]}" "$src/tests/race/racy.c" -o "$work/racy"
"$cc" "${tsan[@]}" "$src/tests/race/synced.c" -o "$work/synced"
set +e
"$work/racy" >/dev/null 2>"$work/racy.err"
rc=$?
grep -q 'WARNING: ThreadSanitizer: data race' "$work/racy.err"
result $((rc != 66 || $?)) "control: a racy OpenMP program is reported (exit $rc)"
"$work/synced" >"$work/synced.err" 2>&1
rc=$?
grep -q 'Archer detected OpenMP application with TSan' "$work/synced.err"
result $((rc != 0 || $?)) "control: a barrier-synchronised program passes with Archer (exit $rc)"
ARCHER_OPTIONS="enable=0" "$work/synced" >/dev/null 2>&1
rc=$?
result $((rc != 66)) "control: the same program is reported with Archer off (exit $rc)"
set -e

# gilfree-omp, built by this project's CMake with clang, TSan and libomp.
CC="$cc" cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DGF_SANITIZE=thread -DGF_BACKENDS=omp -DBUILD_TESTING=OFF >/dev/null
cmake --build "$work/build" --target gilfree-omp -j"$(nproc)" >/dev/null
bin=$work/build/bin/gilfree-omp
libs=$(ldd "$bin")
if [[ $libs == *libomp* ]]; then
	result 0 "gilfree-omp is linked against LLVM's libomp"
else
	result 1 "gilfree-omp is linked against LLVM's libomp: $libs"
fi
for workload in sum primes resize; do
	for workers in 1 2 4 7; do
		set +e
		"$bin" "$workload" --class S --workers "$workers" --reps 2 >"$work/out" 2>"$work/err"
		rc=$?
		set -e
		ok=0
		[ "$rc" -eq 0 ] || ok=1
		grep -q 'Verification: SUCCESSFUL' "$work/out" || ok=1
		# Archer says so on stdout when it is loaded
		grep -q 'Archer detected OpenMP application with TSan' "$work/out" || ok=1
		grep -q 'ThreadSanitizer' "$work/err" && ok=1
		result $ok "gilfree-omp $workload --workers $workers: no race (exit $rc)"
		[ $ok -eq 0 ] || cat "$work/err"
	done
done
echo "race check: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
