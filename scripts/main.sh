#!/usr/bin/env bash
# The main job: every built backend's lecture workloads at classes S and W, each printing the
# lecture's results, the verification and the speedup measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
for class in S W; do
	for workload in sum primes resize; do
		build/bin/gilfree-omp "$workload" --class "$class"
		echo
	done
done
