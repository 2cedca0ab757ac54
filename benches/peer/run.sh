#!/usr/bin/env bash
# ancillary against PyPSA (linopy + HiGHS) on the RTS-GMLC day and week, in one command:
#
#   benches/peer/run.sh
#
# Installs PyPSA in a venv (benches/peer/.venv, pinned in requirements.txt), builds ancillary
# with HiGHS (needs cmake, libclang and a C++ compiler; the first build takes minutes), writes
# the day (the shipped scenario, solver set to HiGHS) and a week imported from data/rts-gmlc,
# then runs both tools and writes benches/peer/results.md. PEER_RUNS=5 for more runs.
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
cargo build --release --locked --features highs --bin ancillary --example peer_timing
bin="$target/release/ancillary"
timing="$target/release/examples/peer_timing"

cases="$(mktemp -d)"
trap 'rm -rf "$cases"' EXIT
cp -r scenarios/rts-gmlc-2020-07-10 "$cases/rts-day"
"$bin" import rts-gmlc data/rts-gmlc --day 2020-07-10 --days 7 --out "$cases/rts-week" >/dev/null
for c in "$cases"/rts-day "$cases"/rts-week; do
    # The import sets no solver: add HiGHS under [clearing] (replacing any solver line).
    sed -i -e '/^solver = /d' -e 's/^\[clearing\]$/[clearing]\nsolver = "highs"/' "$c/scenario.toml"
done

"$venv/bin/python" "$here/compare.py" "$bin" "$timing" "$cases/rts-day" "$cases/rts-week"
