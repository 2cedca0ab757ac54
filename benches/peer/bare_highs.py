"""One bare HiGHS solve of an LP file (as `rts_pypsa.py` writes it with `PEER_LP_FILE`):
reads the file, then times `Highs.run()` alone, cold, with HiGHS's defaults (presolve on; the
median of RUNS solves) and once with presolve off. The yardstick of issue 15's "run within 1.5× of one bare HiGHS solve".

Prints one JSON line: the seconds each way, and the objective.
Usage: python bare_highs.py MODEL.mps [RUNS]
"""

import json
import statistics
import sys
import time

import highspy


def solve(path: str, presolve: str) -> tuple[float, float]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", presolve)
    h.readModel(path)
    start = time.perf_counter()
    h.run()
    took = time.perf_counter() - start
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return took, h.getInfo().objective_function_value


def main() -> None:
    path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
    out = {}
    for presolve in ("on", "off"):
        times = [solve(path, presolve) for _ in range(runs if presolve == "on" else 1)]
        out[f"solve_s_presolve_{presolve}"] = round(statistics.median(t for t, _ in times), 4)
        out["objective"] = times[0][1]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
