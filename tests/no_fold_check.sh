#!/usr/bin/env bash
# Proves that every kernel's work grows with its size under gcc and clang at -O2 and -O3, so
# that no compiler folds a benchmark loop into a formula (clang -O2 does, for a plain sum of
# i * k). Work is counted in instructions inside the kernel by callgrind, which is exact and
# repeatable, not in seconds: for size 4n the count must be 4 times that for n, within 10%
# (primes: the ratio of the trial divisions it does, counted independently).
#
#   no_fold_check.sh SOURCE_DIR [COMPILER...]
set -euo pipefail
src=$1
shift
compilers=("${@:-gcc clang}")
read -r -a compilers <<<"${compilers[*]}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0

# instructions executed inside FUNCTION (and its callees) by BINARY ARGS...
count() {
	local fn=$1 out=$work/cg.out
	shift
	valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file="$out" "$@" \
		>/dev/null 2>&1
	awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

check() { # label small large expected_ratio
	local label=$1 small=$2 large=$3 want=$4
	if awk -v s="$small" -v l="$large" -v w="$want" \
		'BEGIN { r = l / s; exit !(s > 0 && r > 0.9 * w && r < 1.1 * w) }'; then
		passes=$((passes + 1))
		printf 'ok   %-28s %12s -> %12s instructions (ratio %s, want %s)\n' "$label" \
			"$small" "$large" "$(awk -v s="$small" -v l="$large" 'BEGIN{printf "%.3f", l/s}')" "$want"
	else
		fails=$((fails + 1))
		printf 'FAIL %-28s %12s -> %12s instructions (want ratio %s)\n' "$label" \
			"$small" "$large" "$want"
	fi
}

for cc in "${compilers[@]}"; do
	if ! command -v "$cc" >/dev/null; then
		echo "FAIL compiler $cc not found"
		fails=$((fails + 1))
		continue
	fi
	for opt in -O2 -O3; do
		bin=$work/probe-$cc$opt
		# Two translation units and no LTO: the kernel is compiled as in the library, and
		# callgrind can find it by name.
		"$cc" -std=c11 -D_POSIX_C_SOURCE=200809L "$opt" -I"$src/shared" \
			-c "$src/shared/gf_kernels.c" -o "$work/k.o"
		"$cc" -std=c11 "$opt" -I"$src/shared" "$src/tests/kernel_probe.c" "$work/k.o" \
			-lm -o "$bin"
		check "$cc $opt sum" "$(count gf_kernel_sum "$bin" sum 100000)" \
			"$(count gf_kernel_sum "$bin" sum 400000)" 4
		check "$cc $opt resize" "$(count gf_kernel_resize "$bin" resize 50000)" \
			"$(count gf_kernel_resize "$bin" resize 200000)" 4
		if [ "$cc" = clang ]; then
			# The control: without the barrier clang folds the loop, and the check sees it.
			n1=$(count naive_sum "$bin" naive-sum 100000)
			n4=$(count naive_sum "$bin" naive-sum 400000)
			if awk -v s="$n1" -v l="$n4" 'BEGIN { exit !(l < 2 * s) }'; then
				passes=$((passes + 1))
				echo "ok   $cc $opt control: a plain sum loop is folded ($n1 -> $n4)"
			else
				fails=$((fails + 1))
				echo "FAIL $cc $opt control: a plain sum loop was not folded ($n1 -> $n4)"
			fi
		fi
		d1=$("$bin" divisions 20000)
		d4=$("$bin" divisions 80000)
		check "$cc $opt primes" "$(count gf_kernel_primes "$bin" primes 20000)" \
			"$(count gf_kernel_primes "$bin" primes 80000)" \
			"$(awk -v a="$d1" -v b="$d4" 'BEGIN{printf "%.3f", b/a}')"
	done
done
echo "no-fold check: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
