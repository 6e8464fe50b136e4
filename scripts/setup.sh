#!/usr/bin/env bash
# Sets gilfree up on a Debian machine: installs the Debian packages it needs (only those
# missing, with sudo when not root), then configures and builds into build/.
# Set GF_CMAKE_ARGS to pass more to CMake; under CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

# iproute2: ip and tc, which build the virtual cluster (scripts/vcluster.py); libsimgrid-dev:
# SimGrid's SMPI (smpicc, smpirun), which builds and runs gilfree-mpi-sim on simulated clusters;
# man-db: man, with which the man_pages test renders the man pages the build writes;
# slurm-wlm and munge: Slurm on the virtual cluster (vcluster.py --slurm); hwloc: lstopo, the
# machine's topology kept in a comparison's records
packages=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libcunit1-dev
	python3 valgrind clang gnuplot-nox time clang-tidy cppcheck libclang-rt-dev libomp-dev iproute2
	libsimgrid-dev man-db slurm-wlm munge hwloc)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "setup: installing ${missing[*]}" >&2
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
[ "${CI:-}" = true ] && args+=(-DGF_WERROR=ON)
# shellcheck disable=SC2206 # GF_CMAKE_ARGS is a list of words
args+=(${GF_CMAKE_ARGS:-})
cmake -S . -B build "${args[@]}" >/dev/null
cmake --build build -j"$(nproc)"
