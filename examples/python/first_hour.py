# %% [markdown]
# # ancillary from Python: the first hour
#
# A notebook in the percent format (VS Code and JupyterLab with jupytext open it as a
# notebook; `python examples/python/first_hour.py` runs it as a script, as CI does). Run it from
# the repository root after `pip install ./python` (and `pip install "./python[parquet]"` for
# the Parquet cell).

# %%
import tempfile
from decimal import Decimal

import ancillary

print("ancillary", ancillary.__version__)

# %% [markdown]
# ## Run a shipped scenario and read its prices
# `prices` is a wide view: one column per product, indexed by time.

# %%
result = ancillary.run("scenarios/jiangsu-typical-day")
print(result)
prices = result.prices
print(prices.describe())

# %% [markdown]
# ## Money is exact; plot with floats
# Every `*_yuan` column is `decimal.Decimal`, exact to the fen; `floats(...)` gives float64
# for plotting and statistics.

# %%
settlement = result.settlement
paid = settlement[settlement["item"] == "compensation"]
total = sum(paid["amount_yuan"], Decimal(0))
print("compensation, exact:", total)
by_party = result.floats("settlement.csv").query("item == 'compensation'")
print(by_party.groupby("party")["amount_yuan"].sum().sort_values(ascending=False).head())

# %% [markdown]
# ## Edit an offer and run again
# `tables()` gives the scenario's files back as DataFrames (cells as written), `config()` its
# settings; `Scenario.from_frames` validates them as `ancillary run` validates a folder.

# %%
scenario = ancillary.Scenario.from_dir("scenarios/jiangsu-typical-day")
tables = scenario.tables()
offers = tables["fr_offers"]
offers["price_yuan_per_mw"] = offers["price_yuan_per_mw"].astype(float) * 0.9
cheaper = ancillary.run(ancillary.Scenario.from_frames(config=scenario.config(), **tables))
print("FR price before and after a 10 % cheaper offer stack:")
print(result.prices["fr"].max(), "->", cheaper.prices["fr"].max())

# %% [markdown]
# ## Who cleared what, unit by unit

# %%
fr_by_unit = cheaper.cleared_by_unit("fr")
print(fr_by_unit.mean().sort_values(ascending=False).head())

# %% [markdown]
# ## Write the outputs, as Parquet, and read them back (needs pyarrow)

# %%
try:
    import pyarrow  # noqa: F401
except ImportError:
    print("pyarrow not installed: skipping the Parquet cell")
else:
    with tempfile.TemporaryDirectory() as tmp:
        cheaper.write(f"{tmp}/out", format="parquet")
        back = ancillary.Result.from_dir(f"{tmp}/out", scenario)
        assert back.prices.equals(cheaper.prices)
        print("read back from Parquet:", back)
