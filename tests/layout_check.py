#!/usr/bin/env python3
"""The C tree's layout, read from the sources: no include circle, no file or function too long,
and every source the backend registry names present.

  layout_check.py includes ROOT DIR...      no circle among the modules of DIR... (under ROOT)
  layout_check.py sizes ROOT DIR...         no C file over 700 lines, no function over 80
  layout_check.py sources FILE...           every FILE exists (cmake/gf_registry.cmake's list)

A module is a .c file and its header (gf_options.c and gf_options.h), an internal header
X_impl.h counted with X; module A depends on B when a file of A includes B's header. An
include of a header that no folder holds (a system one) is no edge. Exits 1 naming what is
wrong (every circle, as A -> B -> A), 0 when nothing is, 2 on bad arguments.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 80


def c_files(root, dirs):
    for d in dirs:
        top = os.path.join(root, d)
        if not os.path.isdir(top):
            sys.exit(f"layout_check: no folder {top!r}")
        for base, _, names in os.walk(top):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    yield os.path.join(base, name)


def module_of(path):
    stem = os.path.splitext(path)[0]
    return stem[:-len("_impl")] if stem.endswith("_impl") else stem


def include_graph(files):
    """{module: {module it includes}}, an include resolved in its own folder first, then in
    any folder that holds a header of that name (the targets' include paths)."""
    by_name = {}
    for f in files:
        if f.endswith(".h"):
            by_name.setdefault(os.path.basename(f), []).append(f)
    graph = {}
    for f in files:
        mod = module_of(f)
        graph.setdefault(mod, set())
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            local = os.path.join(os.path.dirname(f), inc)
            target = local if os.path.exists(local) else None
            if target is None and by_name.get(os.path.basename(inc)):
                target = by_name[os.path.basename(inc)][0]
            if target is None:
                continue
            dep = module_of(target)
            if dep != mod:
                graph[mod].add(dep)
    return graph


def circles(graph):
    """Every strongly connected part of more than one module, each as one circle A -> .. -> A
    (Tarjan's algorithm, iterative)."""
    index, low, on, stack, parts, n = {}, {}, set(), [], [], [0]

    def visit(v):
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = n[0]
                    n[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        part.append(w)
                        if w == node:
                            break
                    if len(part) > 1:
                        parts.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return parts


def path_in(graph, part):
    """One circle through the modules of part, from its first module back to it."""
    start, members = part[0], set(part)
    prev, todo = {start: None}, [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return [start] + path[::-1][1:] + [start] if len(path) > 1 else [start, v, start]
            if w in members and w not in prev:
                prev[w] = v
                todo.append(w)
    return part + [start]


def check_includes(root, dirs):
    files = list(c_files(root, dirs))
    graph = include_graph(files)
    bad = 0
    for part in circles(graph):
        names = [os.path.relpath(m, root) for m in path_in(graph, part)]
        print("include circle: " + " -> ".join(names))
        bad += 1
    print(f"{len(graph)} modules, {sum(len(v) for v in graph.values())} includes, "
          f"{bad} circles")
    return 1 if bad else 0


def functions(lines):
    """(name, first line, length) of each function: its body opens with '{' in column 0 and
    closes with '}' in column 0; its head starts at the last line before the body that starts
    with a letter in column 0."""
    head, start = None, None
    for i, line in enumerate(lines):
        if re.match(r"[A-Za-z_]", line):
            head = i
        elif line.startswith("{") and head is not None:
            start = head
        elif line.startswith("}") and start is not None:
            name = re.search(r"(\w+)\s*\(", " ".join(lines[start:start + 3]))
            yield (name.group(1) if name else "?", start + 1, i - start + 1)
            head, start = None, None


def check_sizes(root, dirs):
    bad = 0
    for f in c_files(root, dirs):
        with open(f, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        rel = os.path.relpath(f, root)
        if f.endswith(".c") and n > MAX_FILE_LINES:
            print(f"{rel}: {n} lines, over {MAX_FILE_LINES}")
            bad += 1
        for name, first, length in functions(lines):
            if length > MAX_FUNCTION_LINES:
                print(f"{rel}:{first}: {name} has {length} lines, over {MAX_FUNCTION_LINES}")
                bad += 1
    print(f"{bad} files or functions too long")
    return 1 if bad else 0


def check_sources(paths):
    missing = [p for p in paths if not os.path.isfile(p)]
    for p in missing:
        print(f"missing: {p} (named by cmake/gf_registry.cmake)")
    print(f"{len(paths)} sources named, {len(missing)} missing")
    return 1 if missing or not paths else 0


def main(argv):
    if len(argv) < 2 or argv[0] not in ("includes", "sizes", "sources"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if argv[0] == "sources":
        return check_sources(argv[1:])
    if len(argv) < 3:
        print(f"layout_check: {argv[0]} needs ROOT and at least one DIR", file=sys.stderr)
        return 2
    check = check_includes if argv[0] == "includes" else check_sizes
    return check(argv[1], argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
