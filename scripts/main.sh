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
echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo
# every built backend and how it is launched: scripts/gilfree/backends.py and launch.py
PYTHONPATH=scripts${PYTHONPATH:+:$PYTHONPATH} python3 -m gilfree.lecture build
exec python3 scripts/compare.py "$@"
