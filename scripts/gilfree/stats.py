"""Every statistic the scripts compute: the summary of a list of samples (min, median as the C
report takes it, max, and the median's 95% confidence interval from the order statistics), a
record's times (from its raw samples where it has them, schema 2, or its stored summaries),
speedups and ratios, the rank tests that say whether one set of times differs from another
(Mann-Whitney U, Kruskal-Wallis H) with an effect size, Tukey's fences, and the best time a
run's tasks allow: the lower bound and the bound of the split its backend makes (the
makespans). Pure Python: no scipy."""
import itertools
import math
import statistics

from .backends import label, schedule

# Below this many samples no interval of the median reaches 95% (shared/gf_stats.h's).
CI_MIN = 6
# A difference is called significant below this p-value (two-sided).
ALPHA = 0.05


def median(samples):
    """The middle sample, or the mean of the two middle ones (shared/gf_clock.c's)."""
    return statistics.median(samples)


def median_ci_ranks(n):
    """The ranks (1-based, in sorted order) of the distribution-free 95% confidence interval of
    the median of n samples, (l, n + 1 - l), or None below CI_MIN samples; the same ranks as
    shared/gf_stats.c's gf_stats_median_ci_ranks (J.-Y. Le Boudec, "Performance Evaluation of
    Computer and Communication Systems", 2010, Theorem 2.1 and Table A.1; T. Hoefler and R.
    Belli, "Scientific Benchmarking of Parallel Computing Systems", SC15). The number B of
    samples below the median is Binomial(n, 1/2) whatever their distribution, so
    [x(l), x(n + 1 - l)] holds it with probability P(l <= B <= n - l); l is the largest rank with
    P(B <= l - 1) <= 0.025. Here in exact integers: 40 * sum(C(n, i), i < l) <= 2^n."""
    if n < CI_MIN:
        return None
    below, whole = 0, 1 << n
    for i in range(n // 2 + 1):
        if 40 * (below + math.comb(n, i)) > whole:
            return (i, n + 1 - i) if i else None
        below += math.comb(n, i)
    return None


def median_ci(samples):
    """(low, high): the median's 95% interval, two of the samples, or None below CI_MIN."""
    ranks = median_ci_ranks(len(samples))
    if ranks is None:
        return None
    x = sorted(samples)
    return x[ranks[0] - 1], x[ranks[1] - 1]


def ci_halfwidth(samples):
    """max(median - low, high - median) of the median's interval, or None without one."""
    ci = median_ci(samples)
    if ci is None:
        return None
    m = median(samples)
    return max(m - ci[0], ci[1] - m)


def within_target(samples, pct):
    """Whether the samples' interval is within pct percent of their median: --reps auto's
    rule (shared/gf_driver.c)."""
    half = ci_halfwidth(samples)
    return half is not None and half <= pct / 100.0 * median(samples)


def summary(samples, scale=1.0):
    """{min, median, max, ci_low, ci_high} of a list of samples, each times scale (1e6: seconds
    to microseconds); ci_low and ci_high None below CI_MIN samples, as the C report's null."""
    ci = median_ci(samples)
    return {"min": min(samples) * scale, "median": median(samples) * scale,
            "max": max(samples) * scale, "ci_low": ci[0] * scale if ci else None,
            "ci_high": ci[1] * scale if ci else None}


# ---- rank tests, effect size, outliers ----------------------------------------------------------


def _midranks(values):
    """The rank of each value in values (1-based, ties given the mean of their ranks), times 2
    so that they stay integers, and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks2, ties, i = [0] * len(values), [], 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks2[order[k]] = i + j + 2  # 2 * the mean of ranks i + 1 .. j + 1
        ties.append(j - i + 1)
        i = j + 1
    return ranks2, ties


def vargha_delaney(a, b):
    """Vargha and Delaney's A (the common-language effect size): the probability that a value
    of a is larger than one of b, ties counted half. 0.5 is no effect; 1 every a above every b."""
    if not a or not b:
        return None
    more = sum((x > y) + 0.5 * (x == y) for x in a for y in b)
    return more / (len(a) * len(b))


# Up to this many splits of the pooled samples, C(n1 + n2, n1), the exact distribution of U
# (both samples of 8, or 10 and 5, and less), else the normal approximation.
MW_EXACT_SPLITS = 20000


def mann_whitney(a, b):
    """The two-sided Mann-Whitney U test (Wilcoxon rank-sum) of a against b: {"u": U of a (the
    pairs with a's value larger, ties half), "p": the p-value, "method": "exact" or "normal",
    "a12": vargha_delaney(a, b)}. Exact for small samples (at most MW_EXACT_SPLITS ways to split
    the pooled values into groups of their sizes): every split of the pooled ranks (ties as
    mean ranks) is counted, and p is the share whose rank sum lies at least as far from its
    mean as a's. Otherwise the normal approximation with the tie correction of the variance
    and a continuity correction of 1/2. None where a sample is empty."""
    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        return None
    ranks2, ties = _midranks(list(a) + list(b))
    r1_2 = sum(ranks2[:n1])  # twice a's rank sum
    n = n1 + n2
    u = r1_2 / 2 - n1 * (n1 + 1) / 2
    mean2 = n1 * (n + 1)  # twice the mean rank sum
    if math.comb(n, n1) <= MW_EXACT_SPLITS:
        far = abs(r1_2 - mean2)
        hits = total = 0
        for pick in itertools.combinations(ranks2, n1):
            total += 1
            hits += abs(sum(pick) - mean2) >= far
        p, method = hits / total, "exact"
    else:
        var = n1 * n2 / 12.0 * ((n + 1) - sum(t ** 3 - t for t in ties) / (n * (n - 1)))
        if var <= 0:  # every value the same
            p = 1.0
        else:
            z = max(abs(u - n1 * n2 / 2.0) - 0.5, 0.0) / math.sqrt(var)
            p = math.erfc(z / math.sqrt(2.0))
        method = "normal"
    return {"u": u, "p": min(p, 1.0), "method": method, "a12": vargha_delaney(a, b)}


def chi2_sf(x, df):
    """P(X >= x) for X chi-squared with df (an integer >= 1) degrees of freedom, in closed form:
    exp(-x/2) sum (x/2)^i / i! for even df; erfc(sqrt(x/2)) plus the half-integer terms for odd."""
    if x <= 0:
        return 1.0
    h = x / 2.0
    if df % 2 == 0:
        term, total = 1.0, 0.0
        for i in range(df // 2):
            term = 1.0 if i == 0 else term * h / i
            total += term
        return min(1.0, math.exp(-h) * total)
    total = math.erfc(math.sqrt(h))
    term = math.sqrt(h) / math.gamma(1.5)  # h^(1/2) / Gamma(3/2)
    for i in range(1, (df + 1) // 2):
        total += math.exp(-h) * term
        term *= h / (i + 0.5)  # h^(i+1/2) / Gamma(i + 3/2)
    return min(1.0, total)


def kruskal_wallis(groups):
    """The Kruskal-Wallis H test across several groups of values: {"h": H with the tie
    correction, "df": groups - 1, "p": from the chi-squared approximation}, or None with fewer
    than two non-empty groups."""
    groups = [list(g) for g in groups if g]
    if len(groups) < 2:
        return None
    pooled = [x for g in groups for x in g]
    n = len(pooled)
    ranks2, ties = _midranks(pooled)
    h, at = 0.0, 0
    for g in groups:
        r = sum(ranks2[at:at + len(g)]) / 2.0
        h += r * r / len(g)
        at += len(g)
    h = 12.0 / (n * (n + 1)) * h - 3.0 * (n + 1)
    c = 1.0 - sum(t ** 3 - t for t in ties) / (n ** 3 - n)
    h = h / c if c > 0 else 0.0
    df = len(groups) - 1
    return {"h": h, "df": df, "p": chi2_sf(h, df)}


def tukey_fences(samples, k=1.5):
    """Tukey's fences: {"q1", "q3", "low": Q1 - k IQR, "high": Q3 + k IQR, "outliers": the
    samples outside them, in their order, "n"}. Quartiles by linear interpolation between the
    order statistics (statistics.quantiles' "inclusive" method, R's type 7). None below 4
    samples, where quartiles say little. The samples are only counted, never dropped."""
    if len(samples) < 4:
        return None
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    return {"q1": q1, "q3": q3, "low": low, "high": high, "n": len(samples),
            "outliers": [x for x in samples if x < low or x > high]}


def med(value):
    """The median of a summary, or a single figure as it is."""
    return value["median"] if isinstance(value, dict) else value


def _samples(rec, key, phase=None):
    got = rec.get("samples") if rec.get("schema", 1) >= 2 else None
    if not isinstance(got, dict):
        return None
    got = got.get("phases", {}).get(phase) if phase else got.get(key)
    return got if isinstance(got, list) and got else None


def samples(rec, key):
    """A record's raw seq_s or par_s samples (schema 2), or None."""
    return _samples(rec, key)


def outliers(rec, key):
    """Tukey's fences (tukey_fences) over a record's seq_s or par_s samples, or None without
    samples (schema 1) or with fewer than 4."""
    raw = _samples(rec, key)
    return tukey_fences(raw) if raw else None


def differ(a, b, key="par_s"):
    """The Mann-Whitney test (mann_whitney) of record a's key samples against record b's, or
    None where either has no samples."""
    x, y = _samples(a, key), _samples(b, key)
    return mann_whitney(x, y) if x and y else None


def timing(rec, key):
    """A record's seq_s or par_s summary: from its samples where it has them."""
    raw = _samples(rec, key)
    return summary(raw) if raw else rec[key]


def phases(rec):
    """{phase: summary} of a record, each from its samples where it has them."""
    out = {}
    for name, stored in rec.get("phases", {}).items():
        raw = _samples(rec, None, phase=name)
        out[name] = summary(raw) if raw else stored
    return out


def ratio(a, b):
    return a / b if b > 0 else None


def speedup(rec):
    """Median sequential over median parallel: computed from the samples where the record has
    them, else the record's own."""
    if _samples(rec, "seq_s") and _samples(rec, "par_s"):
        return ratio(timing(rec, "seq_s")["median"], timing(rec, "par_s")["median"]) or 0.0
    return rec["speedup"]


def oversubscribed(rec):
    return rec["workers"] > rec["cores"]


def crossover(points):
    """The smallest x (a grain) of (x, speedup) points from which the speedup is above 1 at
    every larger x, or None."""
    best = None
    for g, s in sorted(points, reverse=True):
        if s > 1.0:
            best = g
        else:
            break
    return best


# ---- bounds -----------------------------------------------------------------------------------


def block_makespan(tasks, workers):
    """A static split into contiguous blocks, the first n % P one task longer (OpenMP's
    schedule(static), a scatter): the longest block."""
    n, best, start = len(tasks), 0.0, 0
    for w in range(workers):
        size = n // workers + (1 if w < n % workers else 0)
        best = max(best, sum(tasks[start:start + size]))
        start += size
    return best


def queue_makespan(tasks, workers, chunk=1):
    """A shared queue in submission order: each chunk of tasks goes to the worker that is free
    first (the lowest-numbered on a tie)."""
    free = [0.0] * workers
    for i in range(0, len(tasks), chunk):
        w = free.index(min(free))
        free[w] += sum(tasks[i:i + chunk])
    return max(free)


def cyclic_makespan(tasks, workers):
    """A static round-robin deal (task i to worker i mod P, schedule(static, 1)): the longest
    share."""
    return max(sum(tasks[w::workers]) for w in range(workers))


def ranks_makespan(tasks, ranks, threads, deal, team):
    """Ranks of threads: the tasks dealt to the ranks (contiguous blocks or round-robin), each
    rank's share run by its team (contiguous blocks, or a queue): the slowest rank."""
    shares = []
    if deal == "cyclic":
        shares = [tasks[r::ranks] for r in range(ranks)]
    else:
        start = 0
        for r in range(ranks):
            size = len(tasks) // ranks + (1 if r < len(tasks) % ranks else 0)
            shares.append(tasks[start:start + size])
            start += size
    inner = block_makespan if team == "block" else queue_makespan
    return max((inner(s, threads) for s in shares if s), default=0.0)


def batches_makespan(tasks, size, ranks):
    """A queue of batches: each batch of size tasks in submission order goes to the rank that
    is free first, whose team of size threads runs it (one task a thread)."""
    free = [0.0] * ranks
    for i in range(0, len(tasks), size):
        r = free.index(min(free))
        free[r] += max(tasks[i:i + size])
    return max(free)


def bounds(rec):
    """(lower bound, schedule bound, schedule name) in seconds from the record's sequential
    per-task times: no run on P workers and C cores beats max(longest task, total / min(P, C));
    a known split of the tasks cannot beat that split's longest share either."""
    tasks = rec.get("task_s") or []
    if not tasks:
        return None, None, ""
    usable = max(1, min(rec["workers"], rec["cores"]))
    lower = max(max(tasks), sum(tasks) / usable)
    sched = schedule(rec)
    if sched is None:
        return lower, lower, "lower bound"
    if sched[0] == "block":
        split = block_makespan(tasks, rec["workers"])
        name = "one sum per worker" if rec["workload"] == "sum" else "static split"
    elif sched[0] == "cyclic":
        split, name = cyclic_makespan(tasks, rec["workers"]), "round-robin split"
    elif sched[0] == "ranks":
        _, deal, ranks, threads, team = sched
        split = ranks_makespan(tasks, ranks, threads, deal, team)
        name = f"{'round-robin' if deal == 'cyclic' else 'static'} split to {ranks} ranks, " \
               f"{'a queue' if team == 'queue' else 'blocks'} in each team of {threads}"
    elif sched[0] == "batches":
        split = batches_makespan(tasks, sched[1], sched[2])
        name = f"queue of {sched[1]}-task batches, {sched[2]} ranks taking them"
    else:
        split = queue_makespan(tasks, sched[2], sched[1])
        name = "queue" if sched[1] == 1 else f"queue, chunks of {sched[1]}"
        if sched[2] != rec["workers"]:
            name += f", {sched[2]} taking tasks"
    return lower, max(split, sum(tasks) / usable), name


# ---- the numbers of one row -------------------------------------------------------------------


def figures(rec):
    """The figures of a record's row in the tables and summary.csv."""
    par, seq = timing(rec, "par_s"), timing(rec, "seq_s")
    speed = ratio(seq["median"], par["median"]) or 0.0
    lower, bound, bound_kind = bounds(rec)
    seq_out, par_out = outliers(rec, "seq_s"), outliers(rec, "par_s")
    return {
        "label": label(rec), "workload": rec["workload"], "class": rec["class"],
        "workers": rec["workers"], "cores": rec["cores"], "oversubscribed": oversubscribed(rec),
        "reps": rec["reps"], "verified": rec["verified"], "seq_median_s": seq["median"],
        "par_median_s": par["median"], "par_min_s": par["min"], "par_max_s": par["max"],
        "speedup": speed, "efficiency": speed / rec["workers"],
        "lower_bound_s": lower, "bound_s": bound, "bound_kind": bound_kind,
        "of_bound": bound / par["median"] if bound and par["median"] > 0 else None,
        "seq_ci_low_s": seq.get("ci_low"), "seq_ci_high_s": seq.get("ci_high"),
        "par_ci_low_s": par.get("ci_low"), "par_ci_high_s": par.get("ci_high"),
        "seq_outliers": len(seq_out["outliers"]) if seq_out else None,
        "par_outliers": len(par_out["outliers"]) if par_out else None,
        "par_n": len(_samples(rec, "par_s") or []) or None,
    }


def setup_total(rec):
    """The one-time start-up of a run: its setup phases, less those that are means over
    workers (posix's worker_start_mean), which are part of the total, not beside it."""
    return sum(v for k, v in rec.get("setup_s", {}).items() if not k.endswith("_mean"))


def overheads(rec):
    """(parallel median, busiest worker's kernel time, overhead) of one record."""
    par = timing(rec, "par_s")["median"]
    busy = max(rec.get("busy_s") or [0.0])
    return par, busy, max(par - busy, 0.0)


# ---- unstable rows ----------------------------------------------------------------------------

# Two groups of samples are two modes when the median of the upper is at least this many
# times that of the lower.
MODE_RATIO = 2.0
# Each mode holds at least this many samples: a single far sample is an outlier, not a mode.
MODE_MIN = 2


def modes(samples):
    """Two clusters of samples, or None: the sorted samples cut at the largest gap between
    neighbours on a log scale, among the cuts that leave at least MODE_MIN samples on each
    side; two modes when the upper group's median is at least MODE_RATIO times the lower's.
    Returns ((lower median, its count), (upper median, its count)). None below 2 * MODE_MIN
    samples or with a sample that is not positive."""
    x = sorted(samples)
    if len(x) < 2 * MODE_MIN or x[0] <= 0:
        return None
    logs = [math.log(v) for v in x]
    cut = max(range(MODE_MIN, len(x) - MODE_MIN + 1), key=lambda k: logs[k] - logs[k - 1])
    low, high = x[:cut], x[cut:]
    if median(high) < MODE_RATIO * median(low):
        return None
    return (median(low), len(low)), (median(high), len(high))


def unstable(rec, key="par_s"):
    """Why a record's key samples are unstable, or None: {"why": "two modes" or "interval
    wider than the median", "modes": modes() or None}. Unstable: the samples form two modes
    (modes), or the median's 95% interval is wider than the median itself. A record without
    samples is judged by its stored interval only."""
    raw = _samples(rec, key)
    two = modes(raw) if raw else None
    st = timing(rec, key) if raw or isinstance(rec.get(key), dict) else None
    wide = (isinstance(st, dict) and st.get("ci_low") is not None and st.get("median") and
            st["ci_high"] - st["ci_low"] > st["median"])
    if two:
        return {"why": "two modes", "modes": two}
    if wide:
        return {"why": "interval wider than the median", "modes": None}
    return None
