"""Runs ancillary and the PyPSA model of `rts_pypsa.py` on the RTS-GMLC day and week, on this
machine, in one go, and writes two tables to `benches/peer/results.md` (and stdout).

Every measurement is the wall time of whole processes (start to exit) and the peak memory of
the largest (the child's maximum resident set, from wait4). The tools run in interleaved
rounds (round 1: ancillary HiGHS build, ancillary default build, PyPSA; round 2: the same …)
so that a shared machine's drift hits all of them alike; each cell is the median over rounds,
and the load average before and after is printed with the tables.

Cases: the day and the week with the network (the import's default), and the day on a copper
plate (`--copper-plate`).

- End to end: from the raw RTS-GMLC folder to results. ancillary: `ancillary import
  rts-gmlc RAW --day D --days N --out S` then `ancillary run S --out O`, both processes
  counted, with the HiGHS build and with the default (Clarabel) build. PyPSA: the script reads
  a scenario folder, so its conversion from the raw files is the same `ancillary import`
  (HiGHS build), counted in its time too, then `python rts_pypsa.py S`.
- Run only (the earlier table): `ancillary run` (HiGHS build) against `rts_pypsa.py` on the
  same imported folder, plus each tool's own solve time (ancillary: `examples/peer_timing`,
  both solves of every day; PyPSA: linopy's HiGHS call, summed over days).

Objectives must agree to 1e-6 relative (ancillary's from summary.json, to the fen), else exit 1.

Called by `run.sh`, which builds both ancillary binaries and installs PyPSA in a venv.
Usage: python compare.py HIGHS_BIN DEFAULT_BIN PEER_TIMING_BIN RAW_DIR DAY
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

RUNS = int(os.environ.get("PEER_RUNS", "3"))
HERE = Path(__file__).resolve().parent
# (name, days, import flags): the network as `ancillary import` writes it by default (73 buses,
# 120 lines at their continuous rating, zonal reserve), and the day on a copper plate as well.
CASES = [("rts-day", 1, []), ("rts-week", 7, []), ("rts-day copper plate", 1, ["--copper-plate"])]


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB and stdout of one run of `cmd`."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024.0, text


def chain(cmds: list[list[str]]) -> tuple[float, float, str]:
    """The commands one after the other: summed wall, largest peak memory, last stdout."""
    runs = [timed(c) for c in cmds]
    return sum(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def objective(out: Path) -> float:
    return float(json.loads((out / "summary.json").read_text())["objective"])


def main() -> None:
    highs, default, peer_timing, raw, day = sys.argv[1:6]
    python = sys.executable
    script = str(HERE / "rts_pypsa.py")
    load_before = os.getloadavg()
    end_to_end = []
    run_only = []
    failed = False
    for name, days, flags in CASES:
        e2e = {"highs": [], "default": [], "pypsa": []}
        only = {"ours": [], "pypsa": [], "ours_solve": [], "pypsa_solve": []}
        objectives = {}
        peer = {}
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as tmp:
                t = Path(tmp)

                def imported(binary: str, folder: str) -> list[str]:
                    return [binary, "import", "rts-gmlc", raw, "--day", day, "--days",
                            str(days), "--out", str(t / folder), *flags]

                for label, binary in (("highs", highs), ("default", default)):
                    e2e[label].append(chain([
                        imported(binary, f"s-{label}"),
                        [binary, "run", str(t / f"s-{label}"), "--out", str(t / f"o-{label}")],
                    ]))
                    objectives[label] = objective(t / f"o-{label}")
                wall, mem, text = chain([imported(highs, "s-pypsa"), [python, script, str(t / "s-pypsa")]])
                e2e["pypsa"].append((wall, mem, text))
                peer = json.loads(text.strip().splitlines()[-1])
                # Run only, on the folder just imported: ancillary, then PyPSA, then the
                # solve-time probe.
                only["ours"].append(timed([highs, "run", str(t / "s-pypsa"), "--out", str(t / "o-run")]))
                only["pypsa"].append(timed([python, script, str(t / "s-pypsa")]))
                only["pypsa_solve"].append(json.loads(only["pypsa"][-1][2].strip().splitlines()[-1])["solve_s"])
                only["ours_solve"].append(json.loads(timed([peer_timing, str(t / "s-pypsa"), "highs"])[2])["solve_s"])
        med = {k: (statistics.median(r[0] for r in v), max(r[1] for r in v)) for k, v in e2e.items()}
        gaps = {k: abs(objectives[k] - peer["objective"]) / abs(peer["objective"]) for k in objectives}
        failed |= any(g > 1e-6 for g in gaps.values())
        end_to_end.append((name, med, objectives, peer, gaps))
        run_only.append((name,
                         statistics.median(r[0] for r in only["ours"]), max(r[1] for r in only["ours"]),
                         statistics.median(only["ours_solve"]),
                         statistics.median(r[0] for r in only["pypsa"]), max(r[1] for r in only["pypsa"]),
                         statistics.median(only["pypsa_solve"]), peer))
    load_after = os.getloadavg()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    load = lambda l: "/".join(f"{x:.2f}" for x in l)  # noqa: E731
    lines = [
        f"Measured {date.today()} on {os.cpu_count()} × {cpu}, {platform.system()}: "
        f"{RUNS} interleaved rounds (the tools in turn within each round), median wall per "
        f"cell, memory the largest. Load average (1/5/15 min) {load(load_before)} before, "
        f"{load(load_after)} after.",
        "",
        f"**End to end**, from the raw RTS-GMLC folder (`{raw}`) to written results: "
        "ancillary `import` + `run` (both processes); PyPSA: the same `import` (its script "
        "reads a scenario folder) + `rts_pypsa.py`.",
        "",
        "| case | tool | wall (import + run) | peak memory | objective | speed-up (wall) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, med, objs, peer, gaps in end_to_end:
        pw = med["pypsa"][0]
        for label, tool in (("highs", "ancillary, HiGHS build"), ("default", "ancillary, default build (Clarabel)")):
            lines.append(f"| {name} | {tool} | {med[label][0]:.3f} s | {med[label][1]:.0f} MiB | "
                         f"{objs[label]:.2f} (gap {gaps[label]:.1e}) | {pw / med[label][0]:.1f}× |")
        lines.append(f"| {name} | PyPSA {peer['pypsa']} + linopy (HiGHS) | {pw:.3f} s | "
                     f"{med['pypsa'][1]:.0f} MiB | {peer['objective']:.2f} | 1× |")
    lines += [
        "",
        "**Run only**, on the imported scenario folder: `ancillary run` (HiGHS build) against "
        "`rts_pypsa.py`; solve = each tool's own solver time (ancillary: both solves of every "
        "day, `examples/peer_timing`; PyPSA: linopy's HiGHS calls).",
        "",
        "| case | tool | wall (run) | solve | peak memory | speed-up (wall) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, ow, om, os_, pw, pm, ps, peer in run_only:
        lines.append(f"| {name} | ancillary (HiGHS) | {ow:.3f} s | {os_:.3f} s | {om:.0f} MiB | {pw / ow:.1f}× |")
        lines.append(f"| {name} | PyPSA {peer['pypsa']} + linopy (HiGHS) | {pw:.3f} s | {ps:.3f} s | {pm:.0f} MiB | 1× |")
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results.md").write_text(text)
    if failed:
        print("objectives differ by more than 1e-6 relative", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
