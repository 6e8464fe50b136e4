"""The machine's topology, once per comparison: hwloc's own description (lstopo --of xml, Debian's
`hwloc` package) kept beside the records as topology.xml, and a record of kind "topology" with
its counts (packages, NUMA nodes, cores, processing units), so that a reader of the records can
see what the cores and the rank bindings in the placements were.

    rec = topology.collect(out_dir)        # None when lstopo is not installed
"""
import os
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET

COUNTED = {"Package": "packages", "NUMANode": "numa_nodes", "Core": "cores", "PU": "pus"}


def counts(xml_text):
    """{"packages", "numa_nodes", "cores", "pus"} of an lstopo XML text; ValueError when it is
    not one."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as e:
        raise ValueError(f"not hwloc's XML: {e}") from None
    out = dict.fromkeys(COUNTED.values(), 0)
    for obj in root.iter("object"):
        name = COUNTED.get(obj.get("type"))
        if name:
            out[name] += 1
    if not out["pus"]:
        raise ValueError("hwloc's XML has no processing unit")
    return out


def collect(out_dir):
    """Writes out_dir/topology.xml and returns the "topology" record, or None without lstopo;
    a record with "error" when lstopo fails."""
    if not shutil.which("lstopo"):
        return None
    rec = {"kind": "topology", "host": socket.gethostname(), "from": "lstopo --of xml"}
    try:
        r = subprocess.run(["lstopo", "--of", "xml", "-"], capture_output=True, text=True,
                           timeout=60)
        if r.returncode != 0:
            raise ValueError((r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1])
        rec.update(counts(r.stdout))
        with open(os.path.join(out_dir, "topology.xml"), "w", encoding="utf-8") as f:
            f.write(r.stdout)
        rec["file"] = "topology.xml"
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        rec["error"] = f"lstopo: {e}"
    return rec


def section(recs, ctx):
    """The report's lines on the machine's topology."""
    rec = recs[-1]
    if rec.get("error"):
        return f"## Topology\n\nNot known: {rec['error']}.\n"
    return (f"## Topology\n\nhwloc on {rec.get('host')}: {rec.get('packages')} package(s), "
            f"{rec.get('numa_nodes')} NUMA node(s), {rec.get('cores')} cores, "
            f"{rec.get('pus')} processing units ({rec.get('file')}). A record's placement "
            "gives each worker's host and, where the launcher bound it, its CPU mask "
            "(bits of these processing units' OS indexes).\n")
