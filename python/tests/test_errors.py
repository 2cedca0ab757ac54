"""Bad input raises `ancillary.InputError` with the CLI's message and its position."""

import shutil

import pytest

import ancillary
from conftest import ROOT

FR_BASIC = ROOT / "scenarios" / "fr-basic"


def broken_copy(tmp_path, file, old, new):
    folder = tmp_path / "scenario"
    shutil.copytree(FR_BASIC, folder)
    text = (folder / file).read_text()
    assert text.count(old) == 1
    (folder / file).write_text(text.replace(old, new))
    return folder


def test_a_bad_number_names_file_line_and_column(cli, tmp_path):
    # C2 is units.csv's third line (the header is line 1); its capacity 300 typed with letter Os.
    folder = broken_copy(tmp_path, "units.csv", "C2,Datang,coal,300,", "C2,Datang,coal,3OO,")
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.Scenario.from_dir(folder)
    e = caught.value
    assert (e.file, e.line, e.column, e.kind) == ("units.csv", 3, "capacity_mw", "parse")
    assert "3OO" in e.rule
    assert isinstance(e, ValueError)
    # The message is the CLI's, which exits 2 with it.
    p = cli("run", folder, "--out", tmp_path / "out", ok=(2,))
    assert p.stderr.strip() == f"error: {e}"
    # run() given a folder raises the same.
    with pytest.raises(ancillary.InputError, match="units.csv line 3, column capacity_mw"):
        ancillary.run(folder)


def test_a_rule_broken_in_an_offer(tmp_path):
    # fr_offers.csv line 2 (C1): an offer for capacity −60 MW.
    folder = broken_copy(tmp_path, "fr_offers.csv", "01:00,60,6", "01:00,-60,6")
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.run(folder)
    e = caught.value
    assert (e.file, e.line, e.column) == ("fr_offers.csv", 2, "capacity_mw")


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.Scenario.from_dir(tmp_path / "nowhere")
    assert caught.value.kind == "missing_file" and caught.value.line is None
    folder = tmp_path / "s"
    shutil.copytree(FR_BASIC, folder)
    (folder / "units.csv").unlink()
    with pytest.raises(ancillary.InputError) as caught:
        ancillary.Scenario.from_dir(folder)
    assert (caught.value.file, caught.value.kind) == ("units.csv", "missing_file")


def test_settings_are_validated_as_the_file_is():
    s = ancillary.Scenario.from_dir(FR_BASIC)
    # A cap below 1 元/MW is the notice's 元/kW figure typed in; refused at the key's line (11).
    with pytest.raises(ancillary.InputError) as caught:
        s.with_settings({"caps.fr_mileage_price_yuan_per_mw": 0.015})
    e = caught.value
    assert (e.file, e.line, e.column) == (
        "scenario.toml",
        11,
        "caps.fr_mileage_price_yuan_per_mw",
    )
    # A misspelt key: added after [caps]'s two keys (line 13), and refused there.
    with pytest.raises(ancillary.InputError) as caught:
        s.with_settings({"caps.fr_mileage_price": 12})
    assert (caught.value.file, caught.value.line) == ("scenario.toml", 13)
    assert "fr_mileage_price_yuan_per_mw" in caught.value.rule
    with pytest.raises(ancillary.InputError, match="caps is a section"):
        s.with_settings({"caps": 3})
    with pytest.raises(ancillary.InputError, match="name is a value, not a section"):
        s.with_settings({"name.x": 1})
    with pytest.raises(TypeError):
        s.with_settings({"caps.fr_mileage_price_yuan_per_mw": [12]})
    with pytest.raises(ancillary.InputError, match="unknown variant `simplex`"):
        s.with_settings({"clearing.solver": "simplex"})
    # run(solver=) is the CLI's --solver, not a scenario.toml edit: refused as --solver is.
    with pytest.raises(ValueError, match='solver is "clarabel" or "highs", got "simplex"'):
        ancillary.run(s, solver="simplex")


def test_write_refuses_a_folder_that_is_not_ours(tmp_path):
    r = ancillary.run(FR_BASIC)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ancillary.OutputError, match="force"):
        r.write(tmp_path)
    r.write(tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "clearing.csv").read_bytes() == r.bytes("clearing.csv")
