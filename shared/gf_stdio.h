/*
 * What every main() does at its start and at its end, so that the process behaves with odd
 * standard streams and signals as a command-line tool should:
 *
 * - fds 0, 1 and 2 are made to exist before anything makes a pipe: a run started with one of
 *   them closed (`<&- >&-`) would otherwise get it back from pipe(), and a worker that keeps
 *   fds 0-2 as its stdio would then hold both ends of its own task pipe and never see end of
 *   file. A closed one is filled with /dev/null: stdin and stderr as usual (end of file, and
 *   messages lost as they were closed), stdout for reading only, so that output written to
 *   it still fails (EBADF) and is reported as lost.
 * - stdout is flushed and checked at the end and a write error (a full disk, a closed stdout)
 *   is a run-time failure: one line, exit 1, as coreutils' close_stdout does.
 * - SIGINT, SIGTERM and SIGHUP that end the process say so in one line.
 */
#ifndef GF_STDIO_H
#define GF_STDIO_H

#include <signal.h>

/* Opens /dev/null on whichever of fds 0-2 is closed (see above). Returns 0 or a negative errno. */
int gf_stdio_guard(void);

/*
 * Flushes stdout and checks it for errors; the descriptor stays open until the process ends
 * (closing it early makes mpirun's daemon warn about a descriptor it still watches). Returns
 * status, or 1 (after "<prog>: write error on standard
 * output: <reason>" on stderr) when anything written to stdout was lost and status was 0.
 */
int gf_stdout_check(const char *prog, int status);

/*
 * The process's last words: the names at the head of the one line that an async-signal-safe
 * handler writes before it ends the process (a stop signal's "interrupted by", the watchdog's
 * "--timeout T s passed"). A handler cannot be passed a name, so this is the one place those
 * handlers read it: main sets it once, before it installs any of them; every other line takes
 * the program's name from its caller. prog is the program ("gilfree-posix", "gilfree-mpi: rank
 * 2"); stop is who says "interrupted by" (NULL: prog), where it differs: MPI's rank 0 names
 * itself, since mpirun stops every rank. Both are kept by pointer. Not thread-safe.
 */
void gf_last_words_set(const char *prog, const char *stop);

/* The prog of gf_last_words_set ("gilfree" until it is set). Async-signal-safe. */
const char *gf_last_words_prog(void);

/*
 * Installs handlers that end the process on SIGINT, SIGTERM and SIGHUP with
 * "<stop>: interrupted by SIGINT" on stderr and status 128 + signal. For processes with
 * nothing to clean up; a process with children installs its own and calls gf_stop_say.
 */
void gf_stop_signals_install(void);

/*
 * Installs handler for SIGINT, SIGTERM and SIGHUP, each blocking the signals of last words
 * (gf_last_words_mask) while it runs: gf_stop_signals_install's way, for a process that ends
 * otherwise (an MPI rank that waits for mpirun's SIGKILL).
 */
void gf_stop_signals_catch(void (*handler)(int));

/* "SIGINT", "SIGTERM" or "SIGHUP" for those three, "a signal" for any other. */
const char *gf_signal_name(int sig);

/*
 * Writes "<stop>: interrupted by SIG<NAME>" on stderr, in one write, with the last words'
 * stop (gf_last_words_set). Async-signal-safe.
 */
void gf_stop_say(int sig);

/*
 * The signals whose handlers end the process with a last line (SIGINT, SIGTERM, SIGHUP and
 * the watchdog's SIGALRM): each such handler blocks them all, so that one line is said and
 * no second handler breaks into it.
 */
void gf_last_words_mask(sigset_t *set);

#endif
