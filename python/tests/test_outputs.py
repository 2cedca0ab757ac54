"""Every shipped scenario through the Python package, against the CLI's output of the same
scenario: the written folder byte for byte, and every DataFrame value for value (each typed
value formatted back to text must be the CLI's cell)."""

import html
import json
import math
from decimal import Decimal

import pandas as pd
import pytest

import ancillary
from conftest import ROOT, SCENARIOS, tree

PROPERTIES = {
    "clearing": "clearing.csv",
    "awards": "awards.csv",
    "settlement": "settlement.csv",
    "statement_monthly": "statement_monthly.csv",
    "performance_factors": "performance_factors.csv",
    "market_power": "market_power.csv",
    "rejected_offers": "rejected_offers.csv",
    "storage": "storage.csv",
}

_FORMATS = {"time": "%Y-%m-%dT%H:%M", "start": "%Y-%m-%dT%H:%M", "end": "%Y-%m-%dT%H:%M",
            "day": "%Y-%m-%d"}


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def assert_column_matches(file: str, name: str, typed: pd.Series, text: pd.Series) -> None:
    """`typed` (our DataFrame's column) holds what the CLI's cells `text` say."""
    kind = ancillary.column_type(name)
    where = f"{file} column {name}"
    assert len(typed) == len(text), where
    if kind == "datetime":
        assert pd.api.types.is_datetime64_dtype(typed), where
        back = ["" if pd.isna(v) else v.strftime(_FORMATS[name]) for v in typed]
    elif kind == "period":
        assert isinstance(typed.dtype, pd.PeriodDtype), where
        back = [str(v) for v in typed]
    elif kind == "decimal":
        # Exact: the Decimal's own text is the cell, trailing zeros and all ("0.00").
        assert all(v is None or isinstance(v, Decimal) for v in typed), where
        back = ["" if v is None else str(v) for v in typed]
    elif kind == "bool":
        back = [{True: "true", False: "false"}.get(v, "") for v in typed]
    elif kind == "float":
        assert typed.dtype == "float64", where
        for i, (v, t) in enumerate(zip(typed, text)):
            if t == "":
                assert math.isnan(v), f"{where} row {i + 2}: {v} for an empty cell"
            else:
                assert v == float(t), f"{where} row {i + 2}: {v} != {t}"
        return
    else:
        # A column kept as text must not be a numeric one that lacks its type.
        cells = [t for t in text if t != ""]
        assert not cells or not all(is_number(t) for t in cells), (
            f"{where}: every cell is a number; give the column a type in column_type"
        )
        back = list(typed)
    assert back == list(text), where


@pytest.mark.parametrize("name", SCENARIOS)
def test_write_is_the_cli_folder_byte_for_byte(name, cli_out, tmp_path):
    result = ancillary.run(ROOT / "scenarios" / name)
    result.write(tmp_path / "out")
    ours, theirs = tree(tmp_path / "out"), tree(cli_out(name))
    assert sorted(ours) == sorted(theirs)
    for file in theirs:
        assert ours[file] == theirs[file], f"{name}/{file} differs from the CLI's"
    # The manifest the CLI wrote lists exactly the files of the run (and summary.json).
    assert sorted(result.files) == sorted(f for f in theirs if f != "ancillary.sha256")


@pytest.mark.parametrize("name", SCENARIOS)
def test_dataframes_equal_the_cli_csv_files(name, cli_out):
    result = ancillary.run(ROOT / "scenarios" / name)
    folder = cli_out(name)
    csvs = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.csv"))
    assert csvs, name
    for file in csvs:
        text = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        typed = result.frame(file)
        assert list(typed.columns) == list(text.columns), file
        for column in text.columns:
            assert_column_matches(f"{name}/{file}", column, typed[column], text[column])
    for prop, file in PROPERTIES.items():
        frame = getattr(result, prop)
        if (folder / file).exists():
            pd.testing.assert_frame_equal(frame, result.frame(file))
        else:
            # A file the run writes only with rows: an empty frame with the file's columns,
            # as another shipped scenario's CLI output has them.
            assert frame.empty, f"{name}: {prop}"
            other = next(
                cli_out(n) / file for n in SCENARIOS if (cli_out(n) / file).exists()
            )
            assert list(frame.columns) == pd.read_csv(other, nrows=0).columns.tolist()
    assert result.summary == json.loads((folder / "summary.json").read_bytes())


def test_types_of_the_main_columns():
    r = ancillary.run(ROOT / "scenarios" / "fr-basic")
    assert str(r.clearing["time"].dtype).startswith("datetime64")
    assert r.clearing["price"].dtype == "float64"
    assert isinstance(r.statement_monthly["month"].dtype, pd.PeriodDtype)
    assert r.market_power["pivotal"].dtype == bool
    # The README's worked example: S1's FR compensation is 2314.89 (6×30×2 + 6×28×2 +
    # 8.8889×32×2 + 15×35×2 = 2314.8896, rounded once to the fen).
    s = r.settlement
    row = s[(s.party == "S1") & (s["item"] == "compensation")]
    assert row["amount_yuan"].tolist() == [Decimal("2314.89")]
    assert str(r.settlement["day"].dtype).startswith("datetime64")


def test_frames_are_copies():
    r = ancillary.run(ROOT / "scenarios" / "fr-basic")
    edited = r.clearing
    edited.loc[0, "price"] = -1.0
    assert r.clearing.loc[0, "price"] == 6.0  # README: 00:00 clears at C1/CS1's 6


def test_report_matches_the_cli_and_renders_in_jupyter(cli, tmp_path):
    scenario = ROOT / "scenarios" / "fr-basic"
    cli("run", scenario, "--out", tmp_path / "cli", "--report")
    r = ancillary.run(scenario)
    r.write(tmp_path / "py", report=True)
    assert tree(tmp_path / "py") == tree(tmp_path / "cli")
    page = (tmp_path / "cli" / "report.html").read_text()
    assert r.report_html() == page
    # The offer stacks at another interval, as `ancillary report --at` draws them from a
    # folder audited by `ancillary audit --results`.
    cli("audit", scenario, "--results", tmp_path / "cli")
    cli("report", tmp_path / "cli", "--at", "2024-03-01T00:30", "--html", tmp_path / "at.html")
    at = r.report_html(at="2024-03-01T00:30")
    assert at == (tmp_path / "at.html").read_text() and at != page
    assert "Audit against notice 196" in at
    shown = r._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"")
    assert html.unescape(shown.split('srcdoc="', 1)[1].split('" style=', 1)[0]) == page


def test_audit_equals_the_cli_audit(cli, cli_out, tmp_path):
    name = "jiangsu-typical-day"
    scenario = ROOT / "scenarios" / name
    cli("audit", scenario, "--results", cli_out(name), "--out", tmp_path, ok=(0, 1))
    text = pd.read_csv(tmp_path / "audit.csv", dtype=str, keep_default_na=False)
    checks = ancillary.audit(scenario, ancillary.run(scenario))
    assert list(checks.columns) == ["clause", "rule", "status", "detail", "basis"]
    pd.testing.assert_frame_equal(
        checks.astype(str), text.astype(str), check_dtype=False
    )


def test_diff_equals_the_cli_diff(cli, cli_out, tmp_path):
    # fr-basic with the FR cap at 12 instead of 15: only 00:45, short and priced at the cap,
    # moves (see test_settings.py), so the differences are that interval's price and the fees
    # that follow from it.
    base = ancillary.Scenario.from_dir(ROOT / "scenarios" / "fr-basic")
    capped = ancillary.run(base.with_settings({"caps.fr_mileage_price_yuan_per_mw": 12}))
    capped.write(tmp_path / "capped")
    p = cli("diff", cli_out("fr-basic"), tmp_path / "capped", ok=(1,))
    found = ancillary.diff(cli_out("fr-basic"), capped)
    assert [str(d) for d in found] == p.stdout.splitlines()
    assert any(d.file == "clearing.csv" and d.column == "price"
               and (d.expected, d.actual) == ("15", "12") for d in found)
    assert ancillary.diff(cli_out("fr-basic"), ancillary.run(base)) == []
    # Within a money tolerance wider than every fee change, only non-money columns differ.
    loose = ancillary.diff(cli_out("fr-basic"), capped, money_tol="10000")
    assert loose and not any(d.column.endswith("_yuan") for d in loose)


def test_runs_on_threads_agree():
    from concurrent.futures import ThreadPoolExecutor

    names = ["jiangsu-typical-day", "month-spot", "fr-basic", "joint-spot-day"]
    alone = {n: ancillary.run(ROOT / "scenarios" / n) for n in names}
    with ThreadPoolExecutor(4) as pool:
        together = dict(zip(names, pool.map(lambda n: ancillary.run(ROOT / "scenarios" / n), names)))
    for n in names:
        assert together[n].files == alone[n].files
        for f in alone[n].files:
            assert together[n].bytes(f) == alone[n].bytes(f), f"{n}/{f}"
