"""The plots: gnuplot data files and scripts beside each image, drawn to PNG (and SVG where
gnuplot has it); the comparison's speedup, time and C-against-Python plots and the
micro-benchmarks' line plots."""
import os
import shutil
import subprocess

from . import stats
from .backends import is_c, label, order_key
from .tables import by_cell
from .workloads import CLASS_ORDER, WORKLOADS


def gnuplot_terminals():
    """(png terminal, svg available) or None when gnuplot is missing."""
    exe = shutil.which("gnuplot")
    if not exe:
        return None
    png = "png"
    for term in ("pngcairo", "svg"):
        probe = subprocess.run([exe, "-e", f"set terminal {term}"], capture_output=True,
                               text=True, timeout=30)
        ok = probe.returncode == 0 and "unknown" not in probe.stderr.lower()
        if term == "pngcairo" and ok:
            png = "pngcairo"
        if term == "svg" and not ok:
            return png, False
    return png, True


def run_gnuplot(out_dir, script):
    """Runs gnuplot on the script file in out_dir; its CompletedProcess."""
    return subprocess.run(["gnuplot", script], cwd=out_dir, capture_output=True, text=True,
                          timeout=60)


def render(out_dir, name, body, terms):
    """Writes name.gp and runs it once per format; returns the images made."""
    made = []
    png, svg = terms
    for ext, term in (("png", f"{png} size 900,560"), ("svg", "svg size 900,560")):
        if ext == "svg" and not svg:
            continue
        script = f"set terminal {term}\nset output '{name}.{ext}'\n{body}"
        with open(os.path.join(out_dir, f"{name}.{ext}.gp"), "w", encoding="utf-8") as f:
            f.write(script)
        run = run_gnuplot(out_dir, f"{name}.{ext}.gp")
        if run.returncode != 0:
            raise RuntimeError(f"gnuplot failed on {name}.{ext}.gp: {run.stderr.strip()}")
        made.append(f"{name}.{ext}")
    return made


def write_dat(out_dir, name, header, rows):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        f.write("# " + " ".join(header) + "\n")
        for r in rows:
            f.write(" ".join("NaN" if x is None else f"{x:.9g}" if isinstance(x, float)
                             else str(x) for x in r) + "\n")


def write_plots(out_dir, records):
    """Data files and gnuplot scripts in out_dir, rendered to PNG and SVG. Returns the images,
    or None when gnuplot is not installed."""
    terms = gnuplot_terminals()
    if terms is None:
        return None
    cells = by_cell(records)
    return (speedup_plots(out_dir, cells, terms) + time_plots(out_dir, cells, terms)
            + c_vs_python_plot(out_dir, cells, terms))


def speedup_plots(out_dir, cells, terms):
    """Speedup against workers, one plot per workload and class."""
    images = []
    for (wl, cls), recs in cells.items():
        labs = sorted({label(r) for r in recs}, key=order_key)
        workers = sorted({r["workers"] for r in recs})
        get = {(label(r), r["workers"]): r for r in recs}
        rows = [[p] + [stats.figures(get[(lab, p)])["speedup"] if (lab, p) in get else None
                       for lab in labs] for p in workers]
        name = f"speedup_{wl}_{cls}"
        write_dat(out_dir, name + ".dat", ["workers"] + labs, rows)
        cores = recs[0]["cores"]
        plots = [f"'{name}.dat' using 1:{i + 2} with linespoints title '{lab}'"
                 for i, lab in enumerate(labs)]
        plots += ["x with lines dashtype 2 lc 'black' title 'ideal'",
                  f"(x < {cores} ? x : {cores}) with lines dashtype 3 lw 2 lc rgb '#606060' "
                  f"title '{cores} cores'"]
        body = (f"set title 'Speedup over sequential: {wl}, class {cls} ({cores} cores)'\n"
                f"set xlabel 'workers'\nset ylabel 'speedup (median sequential / median "
                f"parallel)'\nset key top left\nset grid\nset xrange [0.8:{max(workers) + 0.2}]"
                f"\nset yrange [0:*]\nset xtics ({', '.join(map(str, workers))})\n"
                f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
        images += render(out_dir, name, body, terms)
    return images


def time_plots(out_dir, cells, terms):
    """Time per backend per class, at the largest worker count up to the cores."""
    images = []
    for wl in WORKLOADS:
        recs = [r for (w, _), rs in cells.items() if w == wl for r in rs]
        if not recs:
            continue
        cores = recs[0]["cores"]
        usable = [r["workers"] for r in recs if r["workers"] <= cores]
        p = max(usable) if usable else min(r["workers"] for r in recs)
        classes = sorted({r["class"] for r in recs}, key=CLASS_ORDER.find)
        labs = sorted({label(r) for r in recs}, key=order_key)
        rows = []
        for lab in ["sequential-C", "sequential-python"] + labs:
            row = [lab]
            for cls in classes:
                if lab.startswith("sequential"):
                    pick = [stats.timing(r, "seq_s")["median"] for r in recs if r["class"] == cls
                            and r["workers"] == p and is_c(r) == (lab == "sequential-C")]
                    row.append(min(pick) if pick else None)
                else:
                    r = next((r for r in recs if label(r) == lab and r["class"] == cls
                              and r["workers"] == p), None)
                    row.append(stats.timing(r, "par_s")["median"] if r else None)
            if any(x is not None for x in row[1:]):
                rows.append(row)
        name = f"time_{wl}"
        write_dat(out_dir, name + ".dat", ["backend"] + classes, rows)
        plots = [f"'{name}.dat' using {i + 2}:xtic(1) title 'class {cls}'"
                 for i, cls in enumerate(classes)]
        body = (f"set title 'Median time, {wl}, {p} workers ({cores} cores)'\n"
                "set style data histograms\nset style histogram clustered gap 1\n"
                "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'seconds "
                "(log scale)'\nset xtics rotate by -30\nset grid ytics\n"
                f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
        images += render(out_dir, name, body, terms)
    return images


def c_vs_python_plot(out_dir, cells, terms):
    """C against Python: Python's median time over C's, per workload, class and workers."""
    rows, c_labs = [], set()
    for (wl, cls), recs in cells.items():
        for rec in recs:
            if label(rec) == "python-mp":
                ratios = {label(r): stats.ratio(stats.timing(rec, "par_s")["median"],
                                                stats.timing(r, "par_s")["median"])
                          for r in recs if is_c(r) and r["workers"] == rec["workers"]}
                c_labs |= set(ratios)
                rows.append((f"{wl}-{cls}-P{rec['workers']}", ratios))
    if rows:
        labs = sorted(c_labs, key=order_key)
        write_dat(out_dir, "c_vs_python.dat", ["run"] + labs,
             [[n] + [r.get(lab) for lab in labs] for n, r in rows])
        plots = [f"'c_vs_python.dat' using {i + 2}:xtic(1) title '{lab}'"
                 for i, lab in enumerate(labs)]
        body = ("set title \"C's speedup over Python multiprocessing (Python time / C time)\"\n"
                "set style data histograms\nset style histogram clustered gap 1\n"
                "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'times faster "
                "(log scale)'\nset xtics rotate by -30\nset grid ytics\n"
                f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
        return render(out_dir, "c_vs_python", body, terms)
    return []


def line_plot(out_dir, stem, title, xlabel, ylabel, series, terms, logy=True, extra=""):
    """Writes {stem}.gp and one data file per series ({stem}_0.dat, ...: name -> [(x, median,
    min, max)]) and draws {stem}.png with gnuplot where terms (gnuplot_terminals())
    has it. Returns (the image or None, why there is none)."""
    if not series:
        return None, "no data"
    files = []
    for i, (name, pts) in enumerate(series.items()):
        fn = f"{stem}_{i}.dat"
        write_dat(out_dir, fn, [f"{name}:", "x", "median", "min", "max"], sorted(pts))
        files.append((fn, name))
    png = terms[0] if terms else "png"
    body = (f"set termoption noenhanced\nset title '{title}'\nset xlabel '{xlabel}'\n"
            f"set ylabel '{ylabel}'\nset logscale x\n{'set logscale y' if logy else ''}\n"
            f"set grid\nset key outside right\n{extra}"
            "plot " + ", ".join(f"'{fn}' using 1:2 with linespoints title '{name}'"
                                for fn, name in files) + "\n")
    with open(os.path.join(out_dir, f"{stem}.gp"), "w", encoding="utf-8") as f:
        f.write(f"set terminal {png} size 1000,600\nset output '{stem}.png'\n{body}")
    if terms is None:
        return None, "gnuplot not available; data files written"
    r = run_gnuplot(out_dir, f"{stem}.gp")
    if r.returncode != 0:
        first = (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[0].strip()
        return None, f"gnuplot failed: {first}; data files written"
    return f"{stem}.png", None
