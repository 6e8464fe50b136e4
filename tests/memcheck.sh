#!/usr/bin/env bash
# valgrind memcheck of one gilfree run: no error and no definite leak, in the process and in
# every child (forked workers are checked by the same valgrind; exec'ed ones are traced).
#
#   memcheck.sh VALGRIND BINARY ARGS...
#
# Exits with valgrind's status, or 77 (a skip, which ctest shows as such) when valgrind
# cannot follow the exec of a spawned worker: valgrind 3.19 execs its own tool for
# "/proc/self/exe", and then reports that it cannot load it ("failed in UME").
set -uo pipefail
valgrind=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$valgrind" --tool=memcheck --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite --trace-children=yes \
	--child-silent-after-fork=no -q "$@" 2> >(tee "$log" >&2)
rc=$?
wait
if [ "$rc" -ne 0 ] && grep -q 'failed in UME' "$log"; then
	echo "SKIP: valgrind cannot follow this binary's exec of /proc/self/exe into a worker"
	exit 77
fi
exit "$rc"
