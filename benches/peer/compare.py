"""Runs ancillary and the PyPSA model of `rts_pypsa.py` on the same RTS-GMLC scenarios, on this
machine, in one go, and writes the table to `benches/peer/results.md` (and stdout).

Per case and tool, the median of RUNS runs of the whole command (process start to exit):
wall time, peak memory (the child's maximum resident set, from wait4), and the solve time each
tool reports (ancillary: both solves of every day, from `examples/peer_timing`; PyPSA: linopy's
HiGHS call, summed over days). Objectives must agree to 1e-6 relative, else exit 1.

Called by `run.sh`, which builds ancillary with HiGHS and installs PyPSA in a venv.
Usage: python compare.py ANCILLARY_BIN PEER_TIMING_BIN CASE_DIR...
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


def median_runs(cmd: list[str]) -> tuple[float, float, str]:
    runs = [timed(cmd) for _ in range(RUNS)]
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2])


def main() -> None:
    ancillary, peer_timing, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = []
    failed = False
    for case in cases:
        name = Path(case).name
        with tempfile.TemporaryDirectory() as tmp:
            ours_wall, ours_mem, _ = median_runs([ancillary, "run", case, "--out", f"{tmp}/out"])
        timings = [json.loads(timed([peer_timing, case, "highs"])[2]) for _ in range(RUNS)]
        ours = dict(timings[-1], solve_s=statistics.median(t["solve_s"] for t in timings))
        peer_wall, peer_mem, text = median_runs([sys.executable, str(HERE / "rts_pypsa.py"), case])
        peer = json.loads(text.strip().splitlines()[-1])
        gap = abs(ours["objective"] - peer["objective"]) / abs(peer["objective"])
        failed |= gap > 1e-6
        rows.append((name, ours_wall, ours["solve_s"], ours_mem, ours["objective"],
                     peer_wall, peer["solve_s"], peer_mem, peer["objective"], gap, peer["pypsa"]))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    lines = [
        f"Measured {date.today()} on {os.cpu_count()} × {cpu}, {platform.system()} "
        f"(median of {RUNS} runs; memory the largest).",
        "",
        "| case | tool | wall (end to end) | solve | peak memory | objective | speed-up (wall) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (name, ow, os_, om, oo, pw, ps, pm, po, gap, ver) in rows:
        lines.append(f"| {name} | ancillary (HiGHS) | {ow:.3f} s | {os_:.3f} s | {om:.0f} MiB | {oo:.2f} | {pw / ow:.1f}× |")
        lines.append(f"| {name} | PyPSA {ver} + linopy (HiGHS) | {pw:.3f} s | {ps:.3f} s | {pm:.0f} MiB | {po:.2f} | 1× |")
        lines.append(f"| {name} | objective gap | | | | {gap:.1e} relative | |")
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results.md").write_text(text)
    if failed:
        print("objectives differ by more than 1e-6 relative", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
