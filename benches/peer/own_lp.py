"""`ancillary run` against a bare HiGHS solve of the very LPs it solves (issue 23's yardstick).

For each scenario: one `run --write-lp` writes every LP the run solves (per day and line-limit
round, the dispatch model and its price twin) as MPS; then, interleaved over ROUNDS rounds, the
whole `run` is timed (wall, as a process: read, clear with its tie-breaks, price, bill, write)
and every MPS file is solved by HiGHS alone (highspy, read first, only `run()` timed, cold,
presolve on, one thread, as the run's HiGHS instance is set). Prints one JSON line per scenario:
the median run time, the median summed bare solve time, their ratio, and the objective HiGHS
finds against the run's summary.json.

Usage: python own_lp.py ANCILLARY_BIN ROUNDS SCENARIO...
(the binary built with `cargo build --release --features highs`, so that the run uses HiGHS)
"""

import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import highspy


def bare(path: str) -> tuple[float, float]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.readModel(path)
    start = time.perf_counter()
    h.run()
    took = time.perf_counter() - start
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, path
    return took, h.getInfo().objective_function_value


def main() -> None:
    binary, rounds, scenarios = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for scenario in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            lp = os.path.join(tmp, "lp")
            out = os.path.join(tmp, "first")
            subprocess.run(
                [binary, "run", scenario, "--out", out, "--write-lp", lp, "--quiet", "--solver", "highs"],
                check=True,
                capture_output=True,
            )
            files = sorted(glob.glob(os.path.join(lp, "*.mps")))
            summary = json.load(open(os.path.join(out, "summary.json")))
            runs, solves = [], []
            for k in range(rounds):
                start = time.perf_counter()
                subprocess.run(
                    [binary, "run", scenario, "--out", os.path.join(tmp, f"r{k}"), "--quiet", "--solver", "highs"],
                    check=True,
                    capture_output=True,
                )
                runs.append(time.perf_counter() - start)
                solves.append(sum(bare(f)[0] for f in files))
            dispatch = [f for f in files if not f.endswith("-price.mps")]
            objective = sum(bare(f)[1] for f in dispatch)
            run_s, solve_s = statistics.median(runs), statistics.median(solves)
            print(
                json.dumps(
                    {
                        "scenario": scenario,
                        "lp_files": len(files),
                        "run_s": round(run_s, 3),
                        "bare_highs_s": round(solve_s, 3),
                        "ratio": round(run_s / solve_s, 2),
                        "objective_highs": round(objective, 2),
                        "objective_summary": summary["objective"],
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
