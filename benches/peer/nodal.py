"""Nodal prices, ancillary against PyPSA, on one network scenario folder.

ancillary's price convention (README, "The network"): each bus's price is the dual of the
solve with the load lowered by 0.01 MW at the reference bus, i.e. the cost of the last 0.01 MW
served (a left derivative). A raw LP dual (PyPSA's) can be any value between the left and the
right derivative where the optimum is degenerate, so a price is *unique* only where both
derivatives agree. This script tells them apart by re-solving the PyPSA model with the load at
the reference bus shifted by −0.01 MW and +0.01 MW (`PEER_LOAD_SHIFT_MW`): at (time, bus) the
price is unique where the two solves' duals agree to 0.01 元/MWh.

Checks, each printed with its count and the largest gap:
  1. where the price is unique, ancillary's price = PyPSA's (unshifted) dual to 0.01 元/MWh;
  2. everywhere, ancillary's price = the dual of PyPSA's −0.01 MW solve (the same convention
     computed by another tool) to 0.01 元/MWh;
  3. the objectives agree to 1e-6 relative.
Exit 1 if check 1 or 3 fails.

`--limit-scale s` first copies the folder with every line limit × s (e.g. 0.5 makes RTS-GMLC's
lines bind, which they do not at their continuous rating).

Usage: python nodal.py ANCILLARY_BIN SCENARIO_DIR [--limit-scale S]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
EPS = 0.01


def pypsa_prices(folder: Path, shift: float, work: Path) -> tuple[pd.Series, float]:
    out = work / f"pypsa_{shift:+.2f}.csv"
    env = dict(os.environ, PEER_PRICES=str(out), PEER_LOAD_SHIFT_MW=str(shift))
    line = subprocess.run([sys.executable, str(HERE / "rts_pypsa.py"), str(folder)], env=env,
                          check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    prices = pd.read_csv(out, dtype={"bus": str}).set_index(["time", "bus"]).price
    return prices, json.loads(line)["objective"]


def main() -> None:
    args = sys.argv[1:]
    scale = None
    if "--limit-scale" in args:
        k = args.index("--limit-scale")
        scale = float(args[k + 1])
        del args[k:k + 2]
    binary, folder = args[0], Path(args[1])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if scale is not None:
            copy = work / "scenario"
            shutil.copytree(folder, copy)
            lines = pd.read_csv(copy / "lines.csv", dtype=str)
            limit = pd.to_numeric(lines.limit_mw)
            lines["limit_mw"] = (limit * scale).round(2).map(lambda v: "" if pd.isna(v) else f"{v:g}")
            lines.to_csv(copy / "lines.csv", index=False)
            folder = copy
        out = work / "out"
        subprocess.run([binary, "run", str(folder), "--out", str(out), "--quiet"], check=True,
                       capture_output=True)
        ours = pd.read_csv(out / "nodal_prices.csv", dtype={"bus": str}).set_index(["time", "bus"]).price
        summary = json.loads((out / "summary.json").read_text())
        flows = pd.read_csv(out / "flows.csv")
        p0, obj = pypsa_prices(folder, 0.0, work)
        lo, _ = pypsa_prices(folder, -EPS, work)
        hi, _ = pypsa_prices(folder, +EPS, work)

    ours, p0, lo, hi = (s.sort_index() for s in (ours, p0, lo, hi))
    assert ours.index.equals(p0.index), "the two tools price different (time, bus) pairs"
    unique = (lo - hi).abs() <= EPS
    gap_unique = (ours - p0)[unique].abs()
    gap_left = (ours - lo).abs()
    objective = float(summary["objective"])
    rel = abs(objective - obj) / max(abs(obj), 1.0)
    binding = int((flows.shadow_price.abs() > 0).sum())
    print(f"scenario {args[1]}" + (f" (line limits × {scale})" if scale is not None else ""))
    print(f"(interval, line) pairs binding in ancillary: {binding}; rounds per day: "
          f"{summary.get('network', {}).get('rounds_per_day')}")
    print(f"(time, bus) prices: {len(ours)}; unique (PyPSA's −0.01 and +0.01 MW solves agree): "
          f"{int(unique.sum())}; distinct prices among them: {ours[unique].round(2).nunique()}")
    print(f"1. unique prices, ancillary = PyPSA to 0.01: {int((gap_unique <= EPS).sum())} of "
          f"{int(unique.sum())}, largest gap {gap_unique.max() if len(gap_unique) else 0:.4f}")
    print(f"2. every price, ancillary = PyPSA's −0.01 MW dual to 0.01: {int((gap_left <= EPS).sum())} "
          f"of {len(ours)}, largest gap {gap_left.max():.4f}")
    print(f"3. objective: ancillary {objective:.2f}, PyPSA {obj:.2f}, relative gap {rel:.1e}")
    if (gap_unique > EPS).any() or rel > 1e-6:
        sys.exit(1)


if __name__ == "__main__":
    main()
