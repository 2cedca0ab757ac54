#!/usr/bin/env bash
# ancillary against PyPSA (linopy + HiGHS) on the RTS-GMLC day and week, in one command:
#
#   benches/peer/run.sh
#
# Installs PyPSA in a venv (benches/peer/.venv, pinned in requirements.txt), builds ancillary
# twice, default (Clarabel) and with HiGHS (needs cmake, libclang and a C++ compiler; the first
# build takes minutes), then times, in interleaved rounds, the RTS-GMLC day and week from the
# raw files in data/rts-gmlc (import + run) and run only, against PyPSA, and writes
# benches/peer/results.md (see compare.py), then checks nodal prices against PyPSA's duals on a
# congested RTS-GMLC day (nodal.py). PEER_RUNS=5 for more rounds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi

target="${CARGO_TARGET_DIR:-$root/target}"
bins="$(mktemp -d)"
trap 'rm -rf "$bins"' EXIT
# The default build (Clarabel only) first, kept aside: the HiGHS build replaces the binary.
cargo build --release --locked --bin ancillary
cp "$target/release/ancillary" "$bins/ancillary-default"
cargo build --release --locked --features highs --bin ancillary --example peer_timing

"$venv/bin/python" "$here/compare.py" "$target/release/ancillary" "$bins/ancillary-default" \
    "$target/release/examples/peer_timing" data/rts-gmlc 2020-07-10

# Nodal prices against PyPSA's duals on the RTS-GMLC day with every line limit halved (at their
# continuous rating no line binds), appended to results.md (see nodal.py).
scenario="$bins/rts-day"
"$target/release/ancillary" import rts-gmlc data/rts-gmlc --day 2020-07-10 --out "$scenario" >/dev/null
{
    echo
    echo '**Nodal prices** (`nodal.py`, RTS-GMLC day, line limits × 0.5):'
    echo
    echo '```'
    "$venv/bin/python" "$here/nodal.py" "$target/release/ancillary" "$scenario" --limit-scale 0.5
    echo '```'
} | tee -a "$here/results.md"

# One bare HiGHS solve of PyPSA's LP of the network day (read from an MPS file, solve timed
# alone): the yardstick for "run within 1.5× of one bare solve" (bare_highs.py).
PEER_LP_FILE="$bins/rts-day.mps" "$venv/bin/python" "$here/rts_pypsa.py" "$scenario" >/dev/null 2>&1
{
    echo
    echo '**One bare HiGHS solve** of PyPSA'"'"'s LP of the RTS-GMLC network day (`bare_highs.py`):'
    echo
    echo '```'
    "$venv/bin/python" "$here/bare_highs.py" "$bins/rts-day.mps" 3 2>/dev/null
    echo '```'
} | tee -a "$here/results.md"
