"""Issue 26: Python that feels like pandas — a clean namespace, the scenario's tables back to
edit, money as floats for plotting, wide time-indexed views. Every expected number is read
off the shipped scenario's files or derived from them in a comment."""

from decimal import Decimal

import pandas as pd

import ancillary
from conftest import ROOT

FR_BASIC = ROOT / "scenarios" / "fr-basic"


def test_the_namespace_holds_only_the_api():
    public = {n for n in dir(ancillary) if not n.startswith("_")}
    # The modules the package uses are not part of its API.
    for module in ("pd", "os", "json", "io", "html", "Decimal"):
        assert module not in public, module
    assert set(ancillary.__all__) - {"__version__"} <= public
    assert ancillary.__version__ == "0.1.0"


def test_tables_come_back_to_edit_and_run_again():
    s = ancillary.Scenario.from_dir(FR_BASIC)
    t = s.tables()
    assert set(t) >= {"units", "requirements", "fr_offers", "fr_mileage", "fr_performance"}
    # Cells as the files hold them: fr_offers.csv's first row offers C1 at 6 元/MW.
    offers = (FR_BASIC / "fr_offers.csv").read_text().splitlines()
    assert list(t["fr_offers"].columns) == offers[0].split(",")
    assert t["fr_offers"].iloc[0].tolist() == offers[1].split(",")
    config = s.config()
    assert config["name"] == "fr-basic" and config["province"] == "Jiangsu"
    # Unchanged, the frames and config give the same scenario: the same outputs.
    same = ancillary.Scenario.from_frames(config=config, **t)
    a, b = ancillary.run(s), ancillary.run(same)
    assert a.bytes("settlement.csv") == b.bytes("settlement.csv")
    # An edited offer reaches the run: with every FR offer at 15 yuan/MW (fr-basic's cap),
    # every award's offer price is 15 and no interval's price falls (the ranking price is
    # offer ÷ K, so a unit with K > 1 sets less than 15; README "fr-basic by hand").
    t["fr_offers"]["price_yuan_per_mw"] = "15"
    edited = ancillary.run(ancillary.Scenario.from_frames(config=config, **t))
    assert (edited.awards["offer_price"] == 15.0).all()
    assert (edited.clearing["price"].values >= a.clearing["price"].values).all()
    assert not edited.clearing["price"].equals(a.clearing["price"])


def test_money_as_floats_and_wide_views():
    r = ancillary.run(FR_BASIC)
    exact = r.settlement
    floats = r.floats("settlement.csv")
    assert exact["amount_yuan"].map(type).eq(Decimal).all()
    assert floats["amount_yuan"].dtype == "float64"
    assert (floats["amount_yuan"] == exact["amount_yuan"].map(float)).all()
    # prices: clearing.csv's fr prices, one column, indexed by time.
    prices = r.prices
    assert list(prices.columns) == ["fr"]
    assert isinstance(prices.index, pd.DatetimeIndex)
    assert prices["fr"].tolist() == r.clearing["price"].tolist()
    # cleared_by_unit: per interval, the units' MW add up to clearing.csv's cleared_mw.
    wide = r.cleared_by_unit("fr")
    assert wide.sum(axis=1).round(3).tolist() == r.clearing["cleared_mw"].round(3).tolist()
    assert r.nodal_prices.empty  # fr-basic has no network
