#!/usr/bin/env bash
# Builds the libFuzzer target for the option parser with clang (with AddressSanitizer and
# UndefinedBehaviorSanitizer) and fuzzes it for SECONDS, starting from the checked-in seed
# corpus. New inputs go to a working copy in WORKDIR, never to the source tree. Any crash,
# sanitizer finding, timeout or broken parser contract fails, and leaves its input in WORKDIR.
#
#   run_fuzz.sh SOURCE_DIR WORKDIR SECONDS [CLANG]
set -euo pipefail
src=$1 work=$2 seconds=$3 cc=${4:-clang}
mkdir -p "$work/corpus"
# the fuzzer runs in WORKDIR: a relative SOURCE_DIR (".") must still name the sources there
src=$(cd "$src" && pwd) work=$(cd "$work" && pwd)
"$cc" -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -DGF_VERSION='"fuzz"' -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-I"$src/shared" "$src/shared/gf_options.c" "$src/shared/gf_optable.c" "$src/shared/gf_parse.c" \
	"$src/shared/gf_workload.c" "$src/shared/gf_cost.c" "$src/shared/gf_kernels.c" "$src/shared/gf_clock.c" \
	"$src/shared/gf_watchdog.c" "$src/shared/gf_stdio.c" -lm \
	"$src/tests/fuzz/fuzz_options.c" \
	-o "$work/fuzz_options"
cd "$work"
rm -f crash-* leak-* timeout-* oom-*
./fuzz_options -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	corpus "$src/tests/fuzz/corpus"
