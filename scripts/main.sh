#!/usr/bin/env bash
# The main job: the lecture's three examples at their own sizes (class S, 4 workers) on every
# built backend, printed as the lecture prints them, then the comparison of every backend and
# Python's multiprocessing over workloads, worker counts and classes (scripts/compare.py, which
# checks every result across backends and writes results/<date-time>/). Arguments go to
# compare.py (e.g. --classes S --reps 3).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
-h | --help)
	echo "usage: scripts/main.sh [compare.py options]"
	echo
	echo "Prints the lecture's three examples (class S, 4 workers) on every built backend, then"
	echo "runs scripts/compare.py with the options given (scripts/compare.py --help)."
	exit 0
	;;
esac
# Bad options are refused before anything runs.
python3 scripts/compare.py --dry-run "$@" >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
	OMPI_MCA_rmaps_base_oversubscribe=1
echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo
for backend in omp posix mpi; do
	exe=build/bin/gilfree-$backend
	if [ ! -x "$exe" ]; then
		echo "# gilfree-$backend is not built"
		echo
		continue
	fi
	launch=()
	if [ "$backend" = mpi ]; then
		# four ranks, as the lecture's four workers; beyond the cores they must yield
		launch=(mpirun -np 4)
		if [ "$(nproc)" -lt 4 ]; then
			launch+=(--bind-to none --mca mpi_yield_when_idle 1)
		fi
	fi
	for workload in sum primes resize; do
		"${launch[@]}" "$exe" "$workload" --workers 4
		echo
	done
done
exec python3 scripts/compare.py "$@"
