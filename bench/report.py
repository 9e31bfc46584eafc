#!/usr/bin/env python3
"""Turns what bench/compare measured into results.md, results.json and chart.png.

    bench/report.py OUT_DIR

OUT_DIR holds meta.json (the machine and the run's settings), samples.jsonl
(one line per measurement: test, server, rep, exit status, wall time,
server CPU seconds, the raw output's file under raw/) and raw/. Every
figure is the median over the repetitions that succeeded; a figure whose
every repetition failed is shown as "failed". Prints the tables (the same
markdown as results.md) and exits 1 when any measurement failed.
"""
import json
import os
import re
import statistics
import sys

# The workloads of the main table, in order: test id, label, unit kind
# ("MB/s" or "ops/s"), and which TCP ceiling applies (None: not a transfer).
WORKLOADS = [
    ("smbclient-get", "Sequential read, 1 connection (smbclient get)", "MB/s", "read-1"),
    ("smbclient-put", "Sequential write, 1 connection (smbclient put)", "MB/s", "write-1"),
    ("seq-read-1ch", "Sequential read, 1 channel (ringsmb bench)", "MB/s", "read-1"),
    ("seq-write-1ch", "Sequential write, 1 channel (ringsmb bench)", "MB/s", "write-1"),
    ("seq-read-4ch", "Sequential read, 4 channels (ringsmb bench)", "MB/s", "read-4"),
    ("seq-write-4ch", "Sequential write, 4 channels (ringsmb bench)", "MB/s", "write-4"),
    ("rand-read-4k", "Random read 4 KiB, QD 32 (ringsmb bench)", "ops/s", None),
    ("meta", "Metadata mix, 16 lanes (ringsmb bench)", "ops/s", None),
    ("torture-echo", "smbtorture smb2.bench.echo", "ops/s", None),
    ("torture-path-contention", "smbtorture smb2.bench.path-contention-shared (open+close)", "ops/s", None),
]
# The path runs: path-read-PATH-IO and path-write-PATH-IO (IO in bytes),
# each on a ringsmbd configured for PATH, in this order.
PATH_RE = re.compile(r"^path-(read|write)-(\w+)-(\d+)$")
PATH_ORDER = [("read", "splice"), ("read", "zerocopy"), ("read", "copy"), ("write", "splice"),
              ("write", "recv")]
DIRECTION_PATHS = {"read": ["copy", "zerocopy", "splice"], "write": ["recv", "splice"]}
CEILINGS = {
    # name: (label, probe tests whose best is the ceiling)
    "read-1": ("file -> TCP -> buffer, 1 connection",
               ["probe-read-1", "probe-readpipe-1", "probe-sendfile-1"]),
    "read-4": ("file -> TCP -> buffer, 4 connections",
               ["probe-read-4", "probe-readpipe-4", "probe-sendfile-4"]),
    "write-1": ("buffer -> TCP -> file, 1 connection", ["probe-write-1", "probe-writepipe-1"]),
    "write-4": ("buffer -> TCP -> file, 4 connections", ["probe-write-4", "probe-writepipe-4"]),
}
PROBES = [
    ("read", "pread + send, one thread -> recv"),
    ("readpipe", "pread and send pipelined (4 chunks) -> recv"),
    ("sendfile", "sendfile -> recv"),
    ("write", "send -> recv + pwrite, one thread"),
    ("writepipe", "send -> recv and pwrite pipelined (4 chunks)"),
]


def load(out):
    meta = json.load(open(os.path.join(out, "meta.json")))
    samples = []
    with open(os.path.join(out, "samples.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                samples.append(json.loads(line))
    paths = {}
    p = os.path.join(out, "datapaths.json")
    if os.path.exists(p):
        paths = json.load(open(p))
    return meta, samples, paths


def first_json(text):
    """The first JSON object in text (the tools print nothing else on success)."""
    dec = json.JSONDecoder()
    for m in re.finditer(r"^\{", text, re.M):
        try:
            obj, _ = dec.raw_decode(text[m.start():])
            return obj
        except ValueError:
            continue
    return None


def last_line(text):
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:200] if lines else "no output"


def evaluate(s, out, meta):
    """Adds value (MB/s or ops/s), amount (bytes or ops) and error to a sample."""
    raw_path = os.path.join(out, s["raw"])
    text = open(raw_path, errors="replace").read() if os.path.exists(raw_path) else ""
    s["value"] = None
    s["amount"] = None
    if s["rc"] != 0:
        s["error"] = f"exit status {s['rc']}: {last_line(text)}"
        if s["rc"] == 99:
            s["error"] = "the uploaded file has the wrong size"
        return
    client = s["client"]
    if client == "ringsmb":
        obj = first_json(text)
        if not obj or not obj.get("results") or obj.get("error"):
            s["error"] = (obj or {}).get("error") or f"no results: {last_line(text)}"
            return
        r = obj["results"][0]
        s["dialect"] = obj.get("dialect")
        s["signing"] = obj.get("signing")
        s["encryption"] = obj.get("encryption")
        s["workload"] = r["workload"]
        s["io_size"] = r.get("io_size")
        s["depth"] = r.get("depth")
        s["lat_us"] = r.get("lat_us")
        if r["workload"] in ("seq-read", "seq-write"):
            s["value"] = r["throughput_Bps"] / 1e6
            s["amount"] = r["bytes"]
        else:
            s["value"] = r["iops"]
            s["amount"] = r["ops"]
    elif client == "smbclient":
        if s["test"] == "smbclient-get" and "getting file" not in text:
            s["error"] = f"smbclient did not get the file: {last_line(text)}"
            return
        if s["test"] == "smbclient-put" and "putting file" not in text:
            s["error"] = f"smbclient did not put the file: {last_line(text)}"
            return
        s["value"] = s["bytes"] / s["wall_s"] / 1e6
        s["amount"] = s["bytes"]
    elif client == "smbtorture":
        ops = None
        if s["test"] == "torture-echo":
            m = re.findall(r"echo\[num/s=(\d+)", text)
            if m:
                ops = int(m[-1])
        else:
            o = re.findall(r"open\[num/s=(\d+)", text)
            c = re.findall(r"close\[num/s=(\d+)", text)
            if o and c:
                ops = int(o[-1]) + int(c[-1])
        if ops is None or re.search(r"^(failure|error):", text, re.M):
            s["error"] = f"no result from smbtorture: {last_line(text)}"
            return
        s["value"] = float(ops)
        s["amount"] = ops * meta["bench_seconds"]  # num/s is the count over the time limit
    elif client == "tcp_probe":
        obj = first_json(text)
        if not obj:
            s["error"] = f"no result: {last_line(text)}"
            return
        s["value"] = obj["MBps"]
        s["amount"] = obj["bytes"]
        s["cpu_s"] = obj["cpu_s"]  # both ends: the probe is one process
    if s["value"] is not None and s.get("cpu_s") is not None and s["amount"]:
        if s["client"] in ("smbclient", "tcp_probe") or s.get("workload") in ("seq-read", "seq-write"):
            s["cpu_per"] = s["cpu_s"] / (s["amount"] / 1e9)  # seconds per GB
        else:
            s["cpu_per"] = s["cpu_s"] / (s["amount"] / 1e3)  # seconds per 1,000 ops


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def best_tries(samples):
    """The probe's tries of one repetition reduced to the best one (a ceiling)."""
    best = {}
    out = []
    for s in samples:
        if s["client"] != "tcp_probe":
            out.append(s)
            continue
        key = (s["test"], s["rep"])
        cur = best.get(key)
        if cur is None or (s["value"] is not None and (cur["value"] is None or s["value"] > cur["value"])):
            best[key] = s
    return out + list(best.values())


def aggregate(samples):
    """{(test, server): {value, cpu_per, n, failed, errors, path}}: medians over repetitions."""
    groups = {}
    for s in best_tries(samples):
        groups.setdefault((s["test"], s["server"]), []).append(s)
    agg = {}
    for key, ss in groups.items():
        ok = [s for s in ss if s["value"] is not None]
        agg[key] = {
            "value": median([s["value"] for s in ok]),
            "min": min((s["value"] for s in ok), default=None),
            "max": max((s["value"] for s in ok), default=None),
            "cpu_per": median([s.get("cpu_per") for s in ok]),
            "n": len(ok),
            "failed": len(ss) - len(ok),
            "errors": sorted({s["error"] for s in ss if s.get("error")}),
            "path": ss[0].get("path", "-"),
        }

    return agg


def ceilings(samples):
    """Per ceiling: the median over repetitions of the best probe of each repetition."""
    by_rep = {}
    for s in samples:
        if s["client"] == "tcp_probe" and s["value"] is not None:
            rep = by_rep.setdefault(s["rep"], {})
            rep[s["test"]] = max(rep.get(s["test"], 0), s["value"])
    out = {}
    for name, (_, tests) in CEILINGS.items():
        best = [max(v for t, v in rep.items() if t in tests)
                for rep in by_rep.values() if any(t in rep for t in tests)]
        out[name] = median(best)
    return out


def fmt(v, unit=None):
    if v is None:
        return "failed"
    if unit == "ops/s" or (unit is None and v >= 1000):
        return f"{v:,.0f}"
    return f"{v:,.1f}" if v >= 100 else f"{v:,.2f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(r, pct=False):
    if r is None:
        return "n/a"
    return f"{r * 100:.0f} %" if pct else f"{r:.2f}x"


def taken(counters):
    """"copy", or "splice 60 %, copy 40 %": the paths the requests took."""
    total = sum(counters.values()) if counters else 0
    if not total:
        return "?"
    parts = sorted(((n, p) for p, n in counters.items() if n), reverse=True)
    if len(parts) == 1:
        return parts[0][1]
    return ", ".join(f"{p} {n * 100 / total:.0f} %" for n, p in parts)


def path_of(test, path, counters):
    """The configured ringsmbd path behind a figure ("auto/auto" -> read or write half),
    with the paths the server's requests took over the whole run."""
    if path in (None, "-"):
        return "-"
    rp, _, wp = path.partition("/")
    if "write" in test or test == "smbclient-put":
        direction, conf = "write", wp
    elif "read" in test or test == "smbclient-get":
        direction, conf = "read", rp
    else:
        return "-"
    if counters:
        took = taken({k: counters.get(f"{direction}_{k}", 0) for k in DIRECTION_PATHS[direction]})
        return f"{direction} {conf} ({took})"
    return f"{direction} {conf}"


def targets(agg, ceil):
    """The issue's targets: (target, figure, measured, required, met, margin)."""
    def v(test, srv="ringsmbd"):
        return agg.get((test, srv), {}).get("value")

    def cpu(test, srv):
        return agg.get((test, srv), {}).get("cpu_per")

    rows = []

    def at_least(target, figure, measured, required, pct=False):
        if measured is None:
            rows.append((target, figure, "n/a", fmt_ratio(required, pct), "no figure", ""))
            return
        met = measured >= required
        margin = measured / required - 1
        how = f"{'+' if margin >= 0 else ''}{margin * 100:.0f} % {'above' if met else 'short of'} the target"
        rows.append((target, figure, fmt_ratio(measured, pct), f">= {fmt_ratio(required, pct)}",
                     "met" if met else "not met", how))

    def at_most(target, figure, measured, limit):
        if measured is None:
            rows.append((target, figure, "n/a", f"<= {limit:.2f}", "no figure", ""))
            return
        met = measured <= limit
        how = (f"{(1 - measured / limit) * 100:.0f} % under the limit" if met
               else f"{(measured / limit - 1) * 100:.0f} % over the limit")
        rows.append((target, figure, f"{measured:.2f}", f"<= {limit:.2f}",
                     "met" if met else "not met", how))

    for test, label in (("seq-read-1ch", "ringsmb bench, 1 channel"), ("smbclient-get", "smbclient get")):
        at_least("Read >= 2x smbd", label, ratio(v(test), v(test, "smbd")), 2.0)
    for test, label in (("seq-read-1ch", "ringsmb bench, 1 channel"), ("smbclient-get", "smbclient get")):
        at_least("Read >= 90 % of the TCP ceiling", label, ratio(v(test), ceil.get("read-1")), 0.9, pct=True)
    for test, label in (("seq-write-1ch", "ringsmb bench, 1 channel"), ("smbclient-put", "smbclient put")):
        at_least("Write >= 2x smbd", label, ratio(v(test), v(test, "smbd")), 2.0)
    for test, label in (("seq-read-4ch", "read, ringsmb bench"), ("seq-write-4ch", "write, ringsmb bench")):
        at_least("4 channels >= 2.5x smbd", label, ratio(v(test), v(test, "smbd")), 2.5)
    for test, label in (("seq-read-1ch", "ringsmb bench, 1 channel"), ("smbclient-get", "smbclient get")):
        at_most("Server CPU per GB read <= 1/4 of smbd (ringsmbd/smbd)", label,
                ratio(cpu(test, "ringsmbd"), cpu(test, "smbd")), 0.25)
    at_least("4 KiB random read QD 32 >= 2x smbd", "ringsmb bench rand-read",
             ratio(v("rand-read-4k"), v("rand-read-4k", "smbd")), 2.0)
    at_least("Metadata >= 2x smbd", "ringsmb bench meta mix", ratio(v("meta"), v("meta", "smbd")), 2.0)
    at_least("Metadata >= 2x smbd", "smbtorture path-contention-shared",
             ratio(v("torture-path-contention"), v("torture-path-contention", "smbd")), 2.0)
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def markdown(meta, agg, ceil, tgt, samples, datapaths):
    gib = meta["size_bytes"] / (1 << 30)
    size = f"{gib:g} GiB" if gib >= 1 else f"{meta['size_bytes'] >> 20} MiB"
    lines = []
    lines.append(f"Run of {meta['date']} on {meta['cpu_model']}, {meta['cpus']} CPUs, "
                 f"{meta['memory_bytes'] / (1 << 30):.1f} GiB, Linux {meta['kernel']} ({meta['os']}); "
                 f"{meta['smbd_version']}; ringsmb {meta['git']}.")
    lines.append(f"Median of {meta['repeat']} run(s) per figure, servers alternating; test file {size}; "
                 f"{meta['bench_seconds']} s per ringsmb bench workload and smbtorture test; "
                 f"ringsmb bench sequential I/O 8 MiB x {meta['depth']} in flight per channel"
                 + (f"; smbd extra settings: `{meta['samba_extra']}`" if meta.get("samba_extra") else "")
                 + (" (QUICK run: small sizes, not for comparison)" if meta.get("quick") else "") + ".")
    if meta.get("loadavg_start"):
        lines.append(f"Load average (1/5/15 min) at the start {' '.join(meta['loadavg_start'])}, "
                     f"at the end {' '.join(meta.get('loadavg_end', ['?']))}; "
                     f"the run took {meta.get('run_seconds', '?')} s.")
    lines.append("")

    rows = []
    for test, label, unit, cname in WORKLOADS:
        r = agg.get((test, "ringsmbd"), {})
        s = agg.get((test, "smbd"), {})
        if not r and not s:
            continue
        c = ceil.get(cname) if cname else None
        cpu_unit = "s/GB" if unit == "MB/s" else "s/1k ops"
        rv, sv = r.get("value"), s.get("value")
        rows.append([
            label, unit,
            fmt(rv, unit) if r else "-", fmt(sv, unit) if s else "-",
            fmt_ratio(ratio(rv, sv)),
            fmt_ratio(ratio(rv, c), pct=True) if c else "",
            fmt_ratio(ratio(sv, c), pct=True) if c else "",
            f"{r['cpu_per']:.3f}" if r.get("cpu_per") is not None else "-",
            f"{s['cpu_per']:.3f}" if s.get("cpu_per") is not None else "-",
            cpu_unit,
            path_of(test, r.get("path"), (datapaths or {}).get("ringsmbd")) if r else "-",
        ])
    lines.append(table(["workload", "unit", "ringsmbd", "smbd", "ringsmbd/smbd", "ringsmbd/ceiling",
                        "smbd/ceiling", "ringsmbd CPU", "smbd CPU", "CPU unit", "ringsmbd path"], rows))
    lines.append("")

    prow = []
    for cname, (label, tests) in CEILINGS.items():
        if ceil.get(cname) is not None:
            prow.append([label, fmt(ceil[cname], "MB/s")])
    if prow:
        lines.append("TCP ceiling (bench/tcp_probe, the best of its ways per connection count):")
        lines.append("")
        lines.append(table(["ceiling", "MB/s"], prow))
        lines.append("")
        detail = []
        for mode, label in PROBES:
            cells = [label]
            for n in (1, 4):
                a = agg.get((f"probe-{mode}-{n}", "tcp"), {})
                cells.append(fmt(a.get("value"), "MB/s") if a else "-")
                cells.append(f"{a['cpu_per']:.3f}" if a.get("cpu_per") is not None else "-")
            detail.append(cells)
        lines.append(table(["probe", "1 conn MB/s", "1 conn CPU s/GB", "4 conn MB/s", "4 conn CPU s/GB"],
                           detail))
        lines.append("")

    path_io = sorted({int(m.group(3)) for (t, _) in agg for m in [PATH_RE.match(t)] if m}, reverse=True)
    if path_io:
        main = (datapaths or {}).get("ringsmbd") or {}
        header = ["workload", "configured path"]
        for io in path_io:
            size = f"{io >> 20} MiB" if io >= (1 << 20) else f"{io >> 10} KiB"
            header += [f"{size}: MB/s", "CPU s/GB", "path taken"]
        rows = []
        for direction, p in PATH_ORDER:
            cells = [f"seq-{direction}", p]
            for io in path_io:
                hit = next(((srv, v) for (t, srv), v in agg.items() if t == f"path-{direction}-{p}-{io}"),
                           None)
                if hit:
                    srv, a = hit
                    c = (datapaths or {}).get(srv) or {}
                    cells += [fmt(a["value"], "MB/s"),
                              f"{a['cpu_per']:.3f}" if a.get("cpu_per") is not None else "-",
                              taken({k: c.get(f"{direction}_{k}", 0) for k in DIRECTION_PATHS[direction]})]
                else:
                    cells += ["-", "-", "-"]
            rows.append(cells)
            if (direction, p) in (("read", "copy"), ("write", "recv")):
                # auto: the main table's 1-channel figure (the server's largest I/O, 8 MiB)
                a = agg.get((f"seq-{direction}-1ch", "ringsmbd"))
                if a:
                    cells = [f"seq-{direction}", "auto"]
                    for io in path_io:
                        if io == 8 << 20:
                            c = {k: main.get(f"{direction}_{k}", 0) for k in DIRECTION_PATHS[direction]}
                            cells += [fmt(a["value"], "MB/s"),
                                      f"{a['cpu_per']:.3f}" if a.get("cpu_per") is not None else "-",
                                      taken(c) + " (whole run)"]
                        else:
                            cells += ["-", "-", "-"]
                    rows.append(cells)
        lines.append("ringsmbd per read and write path (ringsmb bench, 1 channel, each path and I/O size on "
                     "a ringsmbd of its own configured with `ringsmb:read path` / `ringsmb:write path`; "
                     "\"path taken\" is what that ringsmbd counted over the run):")
        lines.append("")
        lines.append(table(header, rows))
        lines.append("")

    if datapaths and datapaths.get("ringsmbd"):
        c = datapaths["ringsmbd"]
        lines.append("The main ringsmbd (auto/auto) counted over the whole run: READs "
                     f"copy {c['read_copy']:,}, zerocopy {c['read_zerocopy']:,}, splice {c['read_splice']:,}; "
                     f"WRITEs recv {c['write_recv']:,}, splice {c['write_splice']:,}.")
        lines.append("")

    lines.append("Targets:")
    lines.append("")
    lines.append(table(["target", "figure", "measured", "required", "", "by how much"], tgt))
    lines.append("")

    failed = [s for s in samples if s["value"] is None]
    if failed:
        lines.append("Failed measurements:")
        lines.append("")
        for s in failed:
            lines.append(f"- {s['test']} on {s['server']}, run {s['rep']}: {s.get('error', '?')}")
        lines.append("")
    spread = []
    for (test, srv), a in sorted(agg.items()):
        if a["n"] >= 2 and a["value"] and a["min"] is not None and (a["max"] - a["min"]) / a["value"] > 0.25:
            spread.append(f"{test} on {srv} ({fmt(a['min'])} .. {fmt(a['max'])})")
    if spread:
        lines.append("Spread above 25 % of the median between runs (noisy): " + "; ".join(spread) + ".")
        lines.append("")
    return "\n".join(lines)


def chart(path, meta, agg, ceil):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    short = {
        "smbclient-get": "get\n(smbclient)", "smbclient-put": "put\n(smbclient)",
        "seq-read-1ch": "read\n1 ch", "seq-write-1ch": "write\n1 ch",
        "seq-read-4ch": "read\n4 ch", "seq-write-4ch": "write\n4 ch",
        "rand-read-4k": "4K rand\nQD32", "meta": "meta\nmix",
        "torture-echo": "echo\n(torture)", "torture-path-contention": "open/close\n(torture)",
    }
    groups = [[w for w in WORKLOADS if w[2] == "MB/s"], [w for w in WORKLOADS if w[2] == "ops/s"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [6, 4]})
    colors = {"ringsmbd": "#1f77b4", "smbd": "#ff7f0e"}
    for ax, ws in zip(axes, groups):
        ws = [w for w in ws if any((w[0], s) in agg for s in ("ringsmbd", "smbd"))]
        for i, (test, _, unit, cname) in enumerate(ws):
            for j, srv in enumerate(("ringsmbd", "smbd")):
                v = agg.get((test, srv), {}).get("value")
                if v is not None:
                    ax.bar(i + (j - 0.5) * 0.38, v, 0.38, color=colors[srv],
                           label=srv if i == 0 else None)
            c = ceil.get(cname) if cname else None
            rv = agg.get((test, "ringsmbd"), {}).get("value")
            sv = agg.get((test, "smbd"), {}).get("value")
            if rv and sv:
                ax.annotate(f"{rv / sv:.2f}x", (i, max(rv, sv, c or 0)), xytext=(0, 3),
                            textcoords="offset points", ha="center", fontsize=8)
            if c:
                ax.hlines(c, i - 0.45, i + 0.45, colors="black", linestyles="dashed",
                          label="TCP ceiling" if not any(
                              l.get_label() == "TCP ceiling" for l in ax.collections) else None)
        ax.set_xticks(range(len(ws)))
        ax.set_xticklabels([short[w[0]] for w in ws], fontsize=8)
        ax.set_ylabel(ws[0][2] if ws else "")
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.12)
        ax.legend(fontsize=8)
    axes[0].set_title("Throughput (MB/s, higher is better)", fontsize=10)
    axes[1].set_title("Operations per second", fontsize=10)
    fig.suptitle(f"ringsmbd vs Samba smbd on loopback, {meta['cpus']} CPUs, median of {meta['repeat']} "
                 "(labels: ringsmbd/smbd)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = sys.argv[1]
    meta, samples, datapaths = load(out)
    for s in samples:
        evaluate(s, out, meta)
    agg = aggregate(samples)
    ceil = ceilings(samples)
    tgt = targets(agg, ceil)
    md = markdown(meta, agg, ceil, tgt, samples, datapaths)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("# ringsmbd vs smbd\n\n" + md)
    result = {
        "meta": meta,
        "figures": [dict(test=t, server=s, **v) for (t, s), v in sorted(agg.items())],
        "ceilings_MBps": ceil,
        "datapath_counters": datapaths,
        "targets": [dict(zip(["target", "figure", "measured", "required", "verdict", "margin"], r))
                    for r in tgt],
        "samples": samples,
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    chart(os.path.join(out, "chart.png"), meta, agg, ceil)
    print(md)
    print(f"written: {out}/results.md, results.json, chart.png")
    return 1 if any(s["value"] is None for s in samples) else 0


if __name__ == "__main__":
    sys.exit(main())
