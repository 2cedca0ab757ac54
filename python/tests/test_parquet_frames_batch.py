"""Parquet outputs read through pyarrow, `Scenario.from_frames`, `ancillary.batch`, and
`solver=` leaving the input digest alone."""

import shutil
import tomllib
from decimal import Decimal

import pandas as pd
import pyarrow.parquet as pq
import pytest

import ancillary
from conftest import ROOT, SCENARIOS

FR_BASIC = ROOT / "scenarios" / "fr-basic"
TABLES = [
    "clearing.csv",
    "awards.csv",
    "settlement.csv",
    "statement_monthly.csv",
    "performance_factors.csv",
    "market_power.csv",
    "rejected_offers.csv",
    "storage.csv",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_parquet_frames_equal_the_csv_frames(name, cli, tmp_path):
    # The CLI's Parquet folder (streamed, a row group per chunk) and Result.write's (whole
    # tables) read back through pyarrow give the frames the CSV gives, column types included.
    scenario = ancillary.Scenario.from_dir(ROOT / "scenarios" / name)
    r = ancillary.run(scenario)
    r.write(tmp_path / "py", format="parquet")
    cli("run", ROOT / "scenarios" / name, "--out", tmp_path / "cli", "--format", "parquet")
    for folder in (tmp_path / "py", tmp_path / "cli"):
        back = ancillary.Result.from_dir(folder, scenario)
        assert back.format == "parquet"
        # The summary says the same but for its list of files, which names the .parquet ones.
        ours, theirs = dict(back.summary), dict(r.summary)
        assert ours.pop("files") == [
            f[: -len(".csv")] + ".parquet" if f.endswith(".csv") and "/" not in f else f
            for f in theirs.pop("files")
        ]
        assert ours == theirs
        for table in TABLES:
            pd.testing.assert_frame_equal(back.frame(table), r.frame(table), obj=table)
        # The statements stay CSV, byte for byte.
        for f in r.files:
            if f.startswith("statements/"):
                assert (folder / f).read_bytes() == r.bytes(f), f
    assert ancillary.diff(tmp_path / "py", tmp_path / "cli") == []
    assert ancillary.diff(r, tmp_path / "cli") == []


def test_parquet_column_types_as_documented(tmp_path):
    # settlement: money DECIMAL(18, 2), quantities double, times and days strings.
    ancillary.run(FR_BASIC).write(tmp_path / "pq", format="parquet")
    schema = pq.read_schema(tmp_path / "pq" / "settlement.parquet")
    assert str(schema.field("amount_yuan").type) == "decimal128(18, 2)"
    assert str(schema.field("quantity").type) == "double"
    assert str(schema.field("day").type) == "string"
    awards = pq.read_schema(tmp_path / "pq" / "awards.parquet")
    assert str(awards.field("band").type) == "int64"
    assert str(awards.field("time").type) == "string"
    # fr-basic, S1: 6×30×2 + 6×28×2 + 8.8889×32×2 + 15×35×2 = 2314.8896 → 2314.89 (README).
    t = pq.read_table(tmp_path / "pq" / "settlement.parquet").to_pandas()
    row = t[(t["party"] == "S1") & (t["item"] == "compensation")]
    assert row["amount_yuan"].tolist() == [Decimal("2314.89")]
    assert pq.ParquetFile(tmp_path / "pq" / "awards.parquet").metadata.row_group(0).column(
        0
    ).compression == "ZSTD"


def test_write_rejects_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="csv.*parquet"):
        ancillary.run(FR_BASIC).write(tmp_path / "x", format="xlsx")


def frames_of(folder):
    """A scenario folder as DataFrames (times parsed as datetimes) and its config dict."""
    frames = {}
    for f in sorted(folder.glob("*.csv")):
        df = pd.read_csv(f)
        for c in ("time", "start", "end"):
            if c in df.columns:
                df[c] = pd.to_datetime(df[c], format="%Y-%m-%dT%H:%M")
        frames[f.stem] = df
    config = tomllib.loads((folder / "scenario.toml").read_text())
    return frames, config


@pytest.mark.parametrize("name", ["fr-basic", "peak-basic", "joint-spot-day"])
def test_from_frames_runs_as_the_folder_does(name):
    folder = ROOT / "scenarios" / name
    frames, config = frames_of(folder)
    s = ancillary.Scenario.from_frames(config=config, **frames)
    assert s.name == config["name"]
    # The same scenario from other bytes (pandas writes 2.0 for 2, the TOML is rebuilt):
    # every output the same but the input digest, which is over the bytes.
    diffs = ancillary.diff(ancillary.run(folder), ancillary.run(s))
    assert [d.column for d in diffs] == ["input_digest"]


def test_from_frames_errors_name_the_frame_row_and_column():
    frames, config = frames_of(FR_BASIC)
    units = frames["units"].copy()
    # Row 1 (0-based, C2): capacity −300 MW, which units.csv line 3 would hold.
    units.loc[1, "capacity_mw"] = -300
    frames["units"] = units
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.Scenario.from_frames(config=config, **frames)
    e = caught.value
    assert (e.frame, e.row, e.column) == ("units", 1, "capacity_mw")
    assert (e.file, e.line) == ("units.csv", 3)
    assert str(e).startswith("units frame, row 1, column capacity_mw: ")
    assert "-300" in str(e)


def test_from_frames_checks_names_and_config():
    frames, config = frames_of(FR_BASIC)
    with pytest.raises(TypeError, match="unitz: not a file of the scenario contract"):
        ancillary.Scenario.from_frames(config=config, unitz=frames["units"])
    bad = dict(config, fr=dict(config["fr"], ranking="bogus"))
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.Scenario.from_frames(config=bad, **frames)
    assert caught.value.frame == "config"
    assert "unknown variant `bogus`" in str(caught.value)


def test_a_config_too_deep_or_containing_itself_is_an_exception():
    # 10,000 dicts deep once overflowed the stack converting it to TOML (SIGSEGV): the limit
    # is 16, scenario.toml's sections being two deep at most.
    deep = {"v": 1}
    for _ in range(10_000):
        deep = {"a": deep}
    with pytest.raises(ancillary.InputError, match="nests dicts more than 16 deep"):
        ancillary.Scenario.from_frames(config=deep)
    # A config that holds itself once never returned.
    loop = {"name": "x", "fr": {}}
    loop["fr"]["again"] = loop
    with pytest.raises(ancillary.InputError, match="the config contains itself: fr.again"):
        ancillary.Scenario.from_frames(config=loop)
    # 16 deep is still converted (and then refused as an unknown key, as the file would be).
    ok = {"v": 1}
    for _ in range(15):
        ok = {"a": ok}
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.Scenario.from_frames(config=ok)
    assert "nests dicts" not in str(caught.value)


def test_batch_gives_each_scenario_its_own_run_and_keeps_going(tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(FR_BASIC, bad)
    (bad / "units.csv").write_text(
        (bad / "units.csv").read_text().replace("C2,Datang,coal,300,", "C2,Datang,coal,3OO,")
    )
    names = ["fr-basic", "peak-basic", "reserve-basic", "month-nonspot"]
    scenarios = [ancillary.Scenario.from_dir(ROOT / "scenarios" / n) for n in names]
    out = ancillary.batch([*scenarios, bad], jobs=2)
    assert len(out) == 5
    for s, r in zip(scenarios, out):
        assert isinstance(r, ancillary.Result)
        # The same bytes as a run on its own (the independent method).
        alone = ancillary.run(s)
        assert r.files == alone.files
        for f in alone.files:
            assert r.bytes(f) == alone.bytes(f), f
    assert isinstance(out[4], ancillary.InputError)
    assert (out[4].file, out[4].line) == ("units.csv", 3)


def test_solver_leaves_the_input_digest_alone():
    # joint-spot-day clears with the LP. `solver=` sets the solver as `run --solver` does, in
    # the loaded configuration only: every byte the same, the input digest included.
    day = ROOT / "scenarios" / "joint-spot-day"
    plain, chosen = ancillary.run(day), ancillary.run(day, solver="clarabel")
    assert plain.summary["input_digest"] == chosen.summary["input_digest"]
    assert ancillary.diff(plain, chosen) == []
    with pytest.raises(ValueError, match="clarabel or .*highs|\"clarabel\" or \"highs\""):
        ancillary.run(day, solver="glpk")
