"""`Scenario.with_settings` for sweeps: the same numbers as `ancillary sweep`, and the same
validation as a scenario.toml edited by hand."""

import json
from decimal import Decimal

import ancillary
from conftest import ROOT, tree

FR_BASIC = ROOT / "scenarios" / "fr-basic"
CAP = "caps.fr_mileage_price_yuan_per_mw"


def test_fr_cap_12_moves_the_price_as_worked_by_hand():
    # README, fr-basic: ranking prices S1 5, C1 and CS1 6, C2 8.8889 (G1's 16 is refused at
    # either cap). Prices 6, 6, 8.8889 and, at 00:45 (160 MW asked, 150 offered), the cap. With
    # the cap at 12 the first three stay and 00:45 clears at 12.
    r = ancillary.run(ancillary.Scenario.from_dir(FR_BASIC).with_settings({CAP: 12}))
    assert r.clearing["price"].tolist() == [6.0, 6.0, 8.8889, 12.0]
    # Fees = price × mileage × K, summed for the day, rounded once (README), 00:45 at 12:
    #   S1  6×30×2 + 6×28×2 + 8.8889×32×2 + 12×35×2 = 2104.8896 → 2104.89
    #   C1  6×40 + 6×45 + 8.8889×50 + 12×55        = 1614.445  → 1614.45
    #   CS1 6×25×2 + 6×30×2 + 8.8889×20×2 + 12×22×2 = 1543.556  → 1543.56
    #   C2  8.8889×18×0.45 + 12×20×0.45            = 180.00009 → 180.00
    s = r.settlement
    paid = s[s["item"] == "compensation"].set_index("party")["amount_yuan"].to_dict()
    assert paid == {
        "S1": Decimal("2104.89"),
        "C1": Decimal("1614.45"),
        "CS1": Decimal("1543.56"),
        "C2": Decimal("180.00"),
    }
    assert r.summary["products"]["fr"]["compensation_yuan"] == "5442.90"


def test_with_settings_gives_what_ancillary_sweep_writes(cli, tmp_path):
    cli("sweep", FR_BASIC, "--set", f"{CAP}=12", "--out", tmp_path / "sweep")
    theirs = tree(tmp_path / "sweep" / f"{CAP}-12")
    r = ancillary.run(ancillary.Scenario.from_dir(FR_BASIC).with_settings({CAP: 12}))
    r.write(tmp_path / "py")
    ours = tree(tmp_path / "py")
    assert sorted(ours) == sorted(theirs)
    # Every output file is the sweep's, byte for byte, the input digest included: both edit
    # scenario.toml in place with toml_edit, keeping its comments.
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert ancillary.diff(tmp_path / "sweep" / f"{CAP}-12", r) == []


def test_with_settings_keeps_the_file_as_written():
    base = ancillary.Scenario.from_dir(FR_BASIC)
    capped = base.with_settings({CAP: 12, "fr.ranking": "price"})
    before, after = base.toml.splitlines(), capped.toml.splitlines()
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after) if a != b]
    assert changed == [
        (
            "fr_mileage_price_yuan_per_mw = 15.0   # notice 196 三(四): at most 0.015 yuan/kW",
            "fr_mileage_price_yuan_per_mw = 12   # notice 196 三(四): at most 0.015 yuan/kW",
        ),
        ('ranking = "price_over_k"', 'ranking = "price"'),
    ]
    # The original is untouched, and settings compose.
    assert base.toml == (FR_BASIC / "scenario.toml").read_text()
    again = capped.with_settings({"fr.ranking": "price_over_k"})
    assert ancillary.run(again).clearing["price"].tolist()[-1] == 12.0


def test_none_removes_a_key_and_its_default_applies():
    # Without caps.fr_mileage_price_yuan_per_mw the cap is the notice's 15 元/MW (三(四)), the
    # value fr-basic writes out: the outputs are the same but for the input digest.
    r = ancillary.run(ancillary.Scenario.from_dir(FR_BASIC).with_settings({CAP: None}))
    found = ancillary.diff(ancillary.run(FR_BASIC), r)
    assert [d.column for d in found] == ["input_digest"]


def test_decimal_and_float_values():
    s = ancillary.Scenario.from_dir(FR_BASIC)
    for v in (Decimal("12.0"), 12.0):
        assert ancillary.run(s.with_settings({CAP: v})).clearing["price"].iloc[-1] == 12.0
