#!/usr/bin/env bash
# The main job: the lecture's three examples at their own sizes (class S, 4 workers) on every
# built backend, printed as the lecture prints them, then a comparison of the backends over the
# workloads and classes S and W (scripts/compare.py, which checks every result across backends
# and writes results/<date-time>/), ending with what it found and the report's path.
#
# By default the comparison is the short plan (MAIN_PLAN below): omp, posix, mpi and ranks of
# two threads (hybrid-t2) at 2 workers (the cores here) and 4 (the lecture's four,
# oversubscribed), class W first so that the time-left estimate is high rather than low, each
# run started once for 9 timed repetitions (blocked: 48 starts instead of 432 rounds, the
# fewest samples whose median's 95% interval is not [min, max]), a run still disturbed re-run
# once (not twice), no Python (main.sh --full has it), the tables left to report.md. --full
# runs compare.py's whole default matrix (every row, worker counts 1,2,4, Python at class S,
# 9 interleaved rounds). Other arguments go to
# compare.py after the plan's, so they override it (e.g. --classes S --reps 3).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2054 # the commas separate compare.py's lists, not array elements
MAIN_PLAN=(--classes W,S --workers 2,4 --hybrid-threads 2 --python-classes none --reruns 1
	--order blocked --reps 9 --brief)
plan=("${MAIN_PLAN[@]}")
args=()
dry=false
for a in "$@"; do
	case "$a" in
	-h | --help)
		echo "usage: scripts/main.sh [--full] [compare.py options]"
		echo
		echo "Prints the lecture's three examples (class S, 4 workers) on every built backend, then"
		echo "runs scripts/compare.py ${MAIN_PLAN[*]}"
		echo "(48 runs, for 2 minutes on an idle 2-core machine) with the options given after"
		echo "it, and ends with what the run found and the report's path. --full: compare.py's"
		echo "whole default matrix instead (every row, workers 1,2,4, Python at class S, 9"
		echo "interleaved rounds: ten minutes or more). -n/--dry-run: print the comparison's"
		echo "commands, run nothing."
		exit 0
		;;
	--full) plan=() ;;
	-n | --dry-run)
		dry=true
		args+=("$a")
		;;
	*) args+=("$a") ;;
	esac
done
# Bad options are refused before anything runs.
python3 scripts/compare.py --dry-run "${plan[@]}" "${args[@]+"${args[@]}"}" >/dev/null
if $dry; then
	exec python3 scripts/compare.py "${plan[@]}" "${args[@]+"${args[@]}"}"
fi
echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo
# every built backend and how it is launched: scripts/gilfree/backends.py and launch.py
PYTHONPATH=scripts${PYTHONPATH:+:$PYTHONPATH} python3 -m gilfree.lecture build
exec python3 scripts/compare.py "${plan[@]}" "${args[@]+"${args[@]}"}"
