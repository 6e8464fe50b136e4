"""Records: the json objects the binaries and the Python programs print, one a line; the
reading of records files, the records a comparison writes about itself, and the check that
a comparison's records are whole."""
import json

from .userfile import MiB, read_text

# Records that say how a comparison went rather than what a run measured; and those of each
# start of a run ("attempt": every start, re-runs of a disturbed run too; "round": the start of
# each round that a run's record joins, --order interleaved), kept beside the runs' records.
# "end": the last line of a file that a program finished (bench_report.py's), so that a file
# cut short says so.
META_KINDS = ("plan", "failed", "interrupted", "attempt", "round", "end")
RUN_FIELDS = ("backend", "workload", "class", "workers", "cores", "params", "results",
              "verified", "seq_s", "par_s", "speedup", "phases", "task_s", "reps")
# the largest records file read: a whole comparison's records are a few MiB
RECORDS_LIMIT = 256 * MiB
META_FIELDS = {"plan": ("runs",), "failed": ("failure",), "interrupted": ("text",)}


def kind(rec):
    """A record's kind; records without one are runs."""
    return rec.get("kind", "run")


class RecordsError(ValueError):
    """A records file that cannot be used; the message names the file and the line."""


def read_records(path, check=None):
    """The json objects of a records file, one a line (blank lines skipped). A file that cannot
    be read, a line that is not a json object, one that check(record) finds wrong (it returns
    what is wrong, or None) or a file without records raises RecordsError: read them all
    before writing anything."""
    records = []
    what = f"invalid --records '{path}'"
    try:
        text = read_text(path, RECORDS_LIMIT)
    except ValueError as e:
        raise RecordsError(f"{what}: {e}") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise RecordsError(f"{what}: line {n} is not json: {e}") from None
        if not isinstance(rec, dict):
            raise RecordsError(f"{what}: line {n} is not an object")
        problem = check(rec) if check else None
        if problem:
            raise RecordsError(f"{what}: line {n} {problem}")
        records.append(rec)
    if not records:
        raise RecordsError(f"{what}: no records")
    return records


def json_record(stdout):
    """The one json object a run prints, or None."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    try:
        rec = json.loads(lines[0]) if len(lines) == 1 else None
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def json_lines(argv, stdout):
    """The json objects among a program's lines, and a line saying what was not json (or
    None)."""
    recs, bad = [], None
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError:
                bad = f"{' '.join(argv)}: a line that is not json: {line[:80]}"
    return recs, bad


def write_line(f, rec):
    f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    f.flush()


def stopped_record(stop, what):
    """The record that says a comparison was cut short, where stop (an Interrupted) says how
    far it came."""
    text = f"interrupted by {stop.name}" + (
        "" if stop.done is None or stop.planned is None or not what
        else f" after {stop.done} of {stop.planned} {what}")
    return {"kind": "interrupted", "signal": stop.name, "done": stop.done,
            "planned": stop.planned, "what": what, "text": text}


def end_record(done, planned):
    """The last record of a records file whose writer finished: what was done of what."""
    return {"kind": "end", "done": done, "planned": planned}


def run_fields(rec):
    """What a run or a comparison's own record lacks, or None; records of other kinds are not
    checked here."""
    k = kind(rec)
    fields = RUN_FIELDS if k == "run" else META_FIELDS.get(k, ())
    missing = [f for f in fields if f not in rec]
    if missing:
        return f"lacks {', '.join(missing)}"
    if k == "plan" and not (isinstance(rec["runs"], int) and rec["runs"] >= 0):
        return "has a plan whose runs is not a count"
    return None


def incomplete(path, records):
    """Lines saying that the records of path are not a whole comparison or benchmark run: one
    that was interrupted, planned more runs than it has (killed before it could say so), or
    holds benchmarks' records without the end record bench_report.py writes last (killed, or
    written before files said whether they were whole)."""
    def of(k):
        return [r for r in records if kind(r) == k]
    lines = [f"{path}: incomplete: {r.get('text', 'interrupted')}" for r in of("interrupted")]
    planned = sum(r["runs"] for r in of("plan"))
    finished = len(of("run")) + len(of("failed"))
    if not lines and finished < planned:
        lines.append(f"{path}: incomplete: {finished} of {planned} runs, and no record of why "
                     "(the comparison was killed)")
    if not lines and of("bench") and not of("plan") and not of("end"):
        lines.append(f"{path}: incomplete: benchmarks' records without an end record (the "
                     "run that wrote them did not finish, or is not bench_report.py's)")
    return lines


def measured(records):
    """The records that say what was measured, not how the comparison went."""
    return [r for r in records if kind(r) not in META_KINDS]
