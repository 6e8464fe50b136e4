"""The one registry of backends: what exists, what runs it, the rows ("labels") of a report
and the options that make each one, and how each hands out its tasks.

A backend is a program run one way or more: gilfree-posix with --start fork (row "posix") or
--start spawn (row "posix-spawn"). A record names its backend and parameters; label(rec)
finds its row. Adding a backend is one Backend and its Labels below (and a schedule, for the
report's bound); the comparison, the report, the lecture's examples and their order all read
this file.
"""
import collections

Backend = collections.namedtuple("Backend", "name binary script launcher bench",
                                 defaults=(True,))
Backend.__doc__ = """binary: the C program in build/bin (None for a Python one); script: the
Python program in scripts/ (None for a C one); launcher: the launch.py launcher it runs under;
bench: whether the binary has the micro-benchmarks ("<binary> bench ...")."""

Label = collections.namedtuple("Label", "name backend options way workloads threads",
                               defaults=(1,))
Label.__doc__ = """A report row: options are what its backend's program is given for it; way is
the (parameter, value) that a record of this row holds (None for a backend's plain row); a
row with workloads runs those only (others: every workload); threads: workers per rank (ranks
of threads: a row runs P workers as P / threads ranks, where threads divides P)."""

# The team sizes of the hybrid rows: each worker count P is run as every split P / T x T of
# these that divides it (for 4: 4x1, 2x2, 1x4).
HYBRID_THREADS = (1, 2, 4, 8, 16)

BACKENDS = {b.name: b for b in (
    Backend("omp", "gilfree-omp", None, "local"),
    Backend("posix", "gilfree-posix", None, "local"),
    Backend("mpi", "gilfree-mpi", None, "mpirun"),
    # its costs are MPI's and OpenMP's: no micro-benchmarks of its own
    Backend("hybrid", "gilfree-hybrid", None, "mpirun", bench=False),
    Backend("python-mp", None, "py_baseline.py", "local"),
    Backend("python-threads", None, "py_baseline.py", "local"),
)}

# In the report's order.
LABELS = {lab.name: lab for lab in (
    Label("omp", "omp", (), None, None),
    Label("posix", "posix", ("--start", "fork"), ("start", "fork"), None),
    Label("posix-spawn", "posix", ("--start", "spawn"), ("start", "spawn"), None),
    Label("mpi", "mpi", (), ("schedule", "static"), None),
    Label("mpi-dynamic", "mpi", ("--schedule", "dynamic"), ("schedule", "dynamic"),
          ("primes",)),  # only primes has a queue; the others always scatter
    # ranks of threads, one row per team size: P workers as P / T ranks of T threads (the
    # plain row "hybrid" has teams of one)
    *(Label("hybrid" if t == 1 else f"hybrid-t{t}", "hybrid", ("--threads", str(t)),
            ("threads", t), None, t) for t in HYBRID_THREADS),
    Label("python-mp", "python-mp", ("--backend", "mp", "--start", "fork"), ("start", "fork"),
          None),
    Label("python-mp-spawn", "python-mp", ("--backend", "mp", "--start", "spawn"),
          ("start", "spawn"), None),
    Label("python-threads", "python-threads", ("--backend", "threads"), None, None),
)}
ORDER = list(LABELS)
C_BACKENDS = [b.name for b in BACKENDS.values() if b.binary]


class UnknownName(ValueError):
    """A backend, row or launcher that no registry holds; the message is one line naming it."""


def backend(name):
    """The Backend called name, or UnknownName."""
    if name not in BACKENDS:
        raise UnknownName(f"unknown backend '{name}' (one of {', '.join(BACKENDS)})")
    return BACKENDS[name]


def get(name):
    """The Label called name, or UnknownName."""
    if name not in LABELS:
        raise UnknownName(f"unknown backend '{name}' (one of {', '.join(LABELS)})")
    return LABELS[name]


def is_python(name):
    """Whether a row or backend is run by a Python program."""
    return backend(get(name).backend if name in LABELS else name).script is not None


def ways(name):
    """The values of the parameter that picks backend name's rows, plain one first:
    ("fork", "spawn") for posix."""
    return tuple(lab.way[1] for lab in LABELS.values() if lab.backend == name and lab.way)


def variants(name, chosen, only):
    """The rows of backend name for the values chosen (--posix-start fork,spawn: posix and
    posix-spawn) and any row of it that --only names, in that order."""
    named = [LABELS[lab].way[1] for f in only for lab in f.get("backend", ())
             if lab in LABELS and LABELS[lab].backend == name and LABELS[lab].way]
    by_way = {lab.way[1]: lab.name for lab in LABELS.values()
              if lab.backend == name and lab.way}
    return [by_way[v] for v in dict.fromkeys(list(chosen) + named)]


def runs(name, workload):
    """Whether row name runs workload."""
    workloads = get(name).workloads
    return workloads is None or workload in workloads


def label(rec):
    """The row a record sits in: the backend, and how it ran when not the plain way: the
    spawn start method (posix-spawn, python-mp-spawn), MPI's queue for primes (mpi-dynamic).
    A record of a backend not registered here sits in a row of its own name."""
    if "label" in rec:
        return rec["label"]
    params = rec.get("params", {})
    for lab in LABELS.values():
        if lab.backend == rec["backend"] and lab.name != lab.backend and lab.way and \
                params.get(lab.way[0]) == lab.way[1] and \
                (lab.workloads is None or rec["workload"] in lab.workloads):
            return lab.name
    return rec["backend"]


def order_key(lab):
    return (ORDER.index(lab) if lab in ORDER else len(ORDER), lab)


def is_c(rec):
    return not rec["backend"].startswith("python")


# ---- how each backend hands out its tasks -------------------------------------------------------


def pool_map_chunksize(ntasks, workers):
    """Pool.map's default chunksize: ntasks / (4 * workers), rounded up."""
    chunk, extra = divmod(ntasks, workers * 4)
    return chunk + 1 if extra else max(chunk, 1)


def _python(wl, params, p, ntasks):
    if wl == "primes":
        return ("queue", 1, p)
    return ("queue", pool_map_chunksize(ntasks, p), p)


def _omp(wl, params, p, ntasks):
    return ("queue", 1, p) if wl == "primes" else ("block",)


def _posix(wl, params, p, ntasks):
    if wl == "primes":
        return ("queue", 1, p)  # one shared task pipe
    # the pool's map: --chunksize, or Python's default when 0
    return ("queue", params.get("chunksize") or pool_map_chunksize(ntasks, p), p)


def _mpi(wl, params, p, ntasks):
    if wl == "primes":
        # the dynamic queue's rank 0 only hands out tasks; a single rank runs them all
        if params.get("schedule") == "dynamic" and p > 1:
            return ("queue", 1, p - 1)
        return ("cyclic",)
    return ("block",)


def _hybrid(wl, params, p, ntasks):
    threads = params.get("threads") or 1
    ranks = max(p // threads, 1)
    if wl == "primes" and params.get("schedule") == "dynamic" and ranks > 1:
        # rank 0 hands each other rank one task per thread, its team runs them
        return ("batches", threads, ranks - 1)
    if wl == "primes":
        return ("ranks", "cyclic", ranks, threads, "queue")
    return ("ranks", "block", ranks, threads, "block")


SCHEDULES = {"omp": _omp, "posix": _posix, "mpi": _mpi, "hybrid": _hybrid, "python-mp": _python,
             "python-threads": _python}


def schedule(rec):
    """How a run hands out its tasks, where known: ("block",), ("cyclic",), ("queue", chunk,
    workers taking tasks), for ranks of threads ("ranks", deal to the ranks, ranks, threads,
    the team's schedule) or ("batches", tasks per batch, ranks taking batches), or None (an
    unknown backend: the lower bound only). From each backend's documented distribution."""
    if rec["workload"] == "sum":
        return ("block",)  # one task per worker in every backend
    fn = SCHEDULES.get(rec["backend"])
    if fn is None:
        return None
    return fn(rec["workload"], rec.get("params", {}), rec["workers"], len(rec["task_s"]))
