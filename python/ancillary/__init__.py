"""China's ancillary-service markets under notice 196 (发改价格〔2024〕196号), from Python.

The Rust core loads, validates, clears, prices and bills; this package hands its outputs to
pandas. Each DataFrame is read from the very bytes ``ancillary run`` writes to its CSV file, so
its values are the CLI's values. Column types:

- ``time``, ``start``, ``end``, ``day``: ``datetime64`` (naive, the scenario's local time);
  ``month``: ``period[M]``;
- money, every ``*_yuan`` column: ``decimal.Decimal`` objects, exact to the fen as written
  (``Decimal("1779.45")``; an empty cell is ``None``);
- ``pivotal``, ``three_pivotal_fail``, ``sets_price``, ``pivotal_sets_price``: ``bool``;
- other quantities and prices (``*_mw``, ``*_mwh``, ``price``, ``performance_factor``, …):
  ``float64`` (an empty cell is ``NaN``);
- text (ids, products, items, reasons, the statements' ``period``): strings.

A folder written with ``format="parquet"`` (or ``ancillary run --format parquet``) reads back
through pyarrow into the same frames (``Result.from_dir``).

>>> import ancillary
>>> result = ancillary.run("scenarios/fr-basic")
>>> result.clearing.groupby("product")["price"].max()
"""

from __future__ import annotations

import html as _html
import io as _io
import json as _json
import os as _os
from decimal import Decimal as _Decimal
from typing import Any, Mapping, NamedTuple, Optional, Union

import pandas as _pd

from . import _ancillary
from ._ancillary import InputError, OutputError, __version__

__all__ = [
    "Difference",
    "InputError",
    "OutputError",
    "Result",
    "Scenario",
    "audit",
    "batch",
    "column_type",
    "diff",
    "frame",
    "run",
    "__version__",
]

PathLike = Union[str, "_os.PathLike[str]"]

# Column types by name (see the module's docstring). A column named in none of these sets is
# kept as text: lossless, and a test lists every column the shipped scenarios write, so a new
# one gets its type here.
_DATETIME_FORMATS = {
    "time": "%Y-%m-%dT%H:%M",
    "start": "%Y-%m-%dT%H:%M",
    "end": "%Y-%m-%dT%H:%M",
    "day": "%Y-%m-%d",
}
_BOOL = {"pivotal", "three_pivotal_fail", "sets_price", "pivotal_sets_price", "at_cap"}
_FLOAT = {
    "price",
    "offer_price",
    "ranking_price",
    "paid_price",
    "band",
    "performance_factor",
    "k_rate",
    "k_precision",
    "k_response",
    "k_uncapped",
    "rsi",
    "hhi",
    "quantity",
    "energy",
    "congestion",
    "shadow_price",
}
_TEXT = {
    "product",
    "zone",
    "unit",
    "owner",
    "party",
    "item",
    "role",
    "basis",
    "price_unit",
    "quantity_unit",
    "marginal_unit",
    "reason",
    "period",
    "file",
    # audit
    "clause",
    "rule",
    "status",
    "detail",
}


def column_type(name: str) -> str:
    """The type a column of that name is read as: ``datetime``, ``period``, ``decimal``,
    ``bool``, ``float`` or ``text``."""
    if name in _DATETIME_FORMATS:
        return "datetime"
    if name == "month":
        return "period"
    if name.endswith("_yuan"):
        return "decimal"
    if name in _BOOL:
        return "bool"
    if name in _FLOAT or name.endswith("_mw") or name.endswith("_mwh"):
        return "float"
    return "text"


def _typed(name: str, cells: _pd.Series) -> _pd.Series:
    kind = column_type(name)
    if kind == "datetime":
        return _pd.to_datetime(cells, format=_DATETIME_FORMATS[name])
    if kind == "period":
        return _pd.to_datetime(cells, format="%Y-%m").dt.to_period("M")
    if kind == "decimal":
        return _pd.Series(
            [_Decimal(c) if c else None for c in cells], index=cells.index, dtype=object
        )
    if kind == "bool":
        values = {"true": True, "false": False}
        if cells.isin(list(values)).all():
            return cells.map(values).astype(bool)
        return _pd.Series([values.get(c) for c in cells], index=cells.index, dtype=object)
    if kind == "float":
        return _pd.to_numeric(cells.replace("", float("nan"))).astype("float64")
    return cells


def _parquet_frame(path: str) -> _pd.DataFrame:
    """A Parquet table that ancillary writes as the same typed DataFrame as its CSV twin:
    money arrives as ``decimal.Decimal`` (DECIMAL(18, 2)), numbers as float64, flags as bool,
    times and days as ISO text parsed as the CSV's are."""
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise ImportError(
            "reading Parquet outputs needs pyarrow: pip install 'ancillary[parquet]' "
            "(or pip install pyarrow)"
        ) from e

    df = pq.read_table(path).to_pandas()
    for name in df.columns:
        kind = column_type(name)
        cells = df[name]
        if kind in ("datetime", "period", "text"):
            df[name] = _typed(name, cells.astype(str))
        elif kind == "float":
            df[name] = cells.astype("float64")
        elif kind == "decimal":
            df[name] = _pd.Series(
                [None if c is None or c != c else _Decimal(c) for c in cells],
                index=cells.index,
                dtype=object,
            )
        elif kind == "bool" and cells.isna().any():
            df[name] = _pd.Series(
                [None if c is None or c != c else bool(c) for c in cells],
                index=cells.index,
                dtype=object,
            )
    return df


def frame(csv: bytes) -> _pd.DataFrame:
    """A CSV file that ancillary writes (bytes) as a typed DataFrame (see the module's
    docstring for the types)."""
    # Every cell as its text first (no guessing, no NA words), then typed by column name.
    df = _pd.read_csv(_io.BytesIO(csv), dtype=str, keep_default_na=False, na_filter=False)
    for name in df.columns:
        df[name] = _typed(name, df[name])
    return df


class Scenario:
    """A scenario folder, loaded and validated as ``ancillary run`` does.

    Bad input raises :class:`InputError` with the CLI's message and ``file``, ``line``,
    ``column`` and ``rule`` attributes.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: Any):
        # Made by from_dir and with_settings.
        self._inner = inner

    @classmethod
    def from_dir(cls, path: PathLike) -> "Scenario":
        """Reads and validates the scenario folder ``path`` (scenario.toml and CSV files)."""
        return cls(_ancillary._Scenario.from_dir(_os.fspath(path)))

    @classmethod
    def from_frames(cls, *, config: Mapping[str, Any], **frames: _pd.DataFrame) -> "Scenario":
        """A scenario from DataFrames, one per file of the contract by its name without
        ``.csv`` (``units=``, ``requirements=``, ``fr_offers=``, ``metering=``, …), and
        ``config``, scenario.toml's keys as a dict (nested dicts or dotted keys):

        >>> Scenario.from_frames(units=units, requirements=req, fr_offers=offers,
        ...                      config={"name": "study", "province": "Jiangsu",
        ...                              "horizon": {"start": "2024-03-01T00:00", ...}})

        Validated exactly as ``ancillary run`` validates a folder. A bad cell raises
        :class:`InputError` naming the frame, its row (0-based position, as ``df.iloc``) and
        column: ``units frame, row 3, column capacity_mw: must be > 0, got -600``; its
        ``frame`` and ``row`` attributes say the same (``file`` and ``line`` are the CSV's).
        Datetime columns are written as ``YYYY-MM-DDTHH:MM``, booleans as ``true``/``false``."""
        known = {f[: -len(".csv")] for f in _ancillary.scenario_files() if f.endswith(".csv")}
        files = {}
        for name, df in frames.items():
            if name not in known:
                raise TypeError(
                    f"{name}: not a file of the scenario contract; frames are "
                    + ", ".join(sorted(known))
                )
            if not isinstance(df, _pd.DataFrame):
                raise TypeError(f"{name}: a pandas DataFrame, got {type(df).__name__}")
            out = df.copy()
            for c in out.columns:
                # The contract spells booleans true/false; pandas would write True/False.
                if _pd.api.types.is_bool_dtype(out[c]):
                    out[c] = out[c].map({True: "true", False: "false"})
            text = out.to_csv(index=False, date_format="%Y-%m-%dT%H:%M", lineterminator="\n")
            files[f"{name}.csv"] = text.encode()
        try:
            return cls(_ancillary._Scenario.from_files(files, dict(config)))
        except InputError as e:
            raise _frame_error(e, frames) from None

    def with_settings(self, settings: Mapping[str, Any]) -> "Scenario":
        """A copy with ``scenario.toml`` keys set, by dotted path, and validated again:

        >>> s.with_settings({"caps.fr_mileage_price_yuan_per_mw": 12})

        Values are bool, int, float, str or ``decimal.Decimal``; ``None`` removes the key (its
        default applies). The rest of ``scenario.toml`` stays as written, comments included.
        The scenario's CSV files are not read again.
        """
        return Scenario(self._inner.with_settings(dict(settings)))

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def path(self) -> Optional[str]:
        """The folder it was read from."""
        p = self._inner.path
        return None if p is None else _os.fspath(p)

    @property
    def toml(self) -> str:
        """``scenario.toml`` as loaded, with any settings applied."""
        return self._inner.toml

    @property
    def warnings(self) -> list:
        """What loading noticed without refusing (unknown files or columns, …)."""
        return self._inner.warnings

    @property
    def input_digest(self) -> str:
        """``sha256:…`` of the scenario's files, as ``summary.json`` has it."""
        return self._inner.input_digest

    def tables(self) -> dict:
        """The scenario's CSV files as DataFrames, by name without ``.csv`` (``units``,
        ``fr_offers``, …), every cell as the text the file holds (exact: no number or date is
        re-read), ready to edit and hand back with :meth:`config` to :meth:`from_frames`:

        >>> t = s.tables()
        >>> t["fr_offers"].loc[0, "price_yuan_per_mw"] = 7
        >>> s2 = Scenario.from_frames(config=s.config(), **t)
        """
        out = {}
        for name in self._inner.input_names():
            if name.endswith(".csv"):
                data = self._inner.input_file(name)
                out[name[: -len(".csv")]] = _pd.read_csv(
                    _io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False
                )
        return out

    def config(self) -> dict:
        """``scenario.toml`` as a dict (tables as nested dicts), as :meth:`from_frames` takes
        it."""
        return _json.loads(self._inner.config_json())

    def __repr__(self) -> str:
        where = f" from {self.path!r}" if self.path else ""
        return f"<ancillary.Scenario {self.name!r}{where}>"


def _frame_error(e: InputError, frames: Mapping[str, _pd.DataFrame]) -> InputError:
    """The error about a generated CSV file said of the frame it came from."""
    file = getattr(e, "file", "") or ""
    name = file[: -len(".csv")] if file.endswith(".csv") else None
    if name not in frames:
        if file == "scenario.toml":
            e.frame = "config"
            e.row = None
        return e
    line = getattr(e, "line", None)
    # The CSV's header is line 1: line 2 is the frame's first row.
    row = None if line is None else line - 2
    where = [f"{name} frame"]
    if row is not None:
        where.append(f"row {row}")
    if getattr(e, "column", None):
        where.append(f"column {e.column}")
    out = InputError(f"{', '.join(where)}: {e.rule}")
    for attr in ("file", "line", "column", "rule", "kind"):
        setattr(out, attr, getattr(e, attr, None))
    out.frame = name
    out.row = row
    return out


def _scenario(path_or_scenario: Union[Scenario, PathLike]) -> Scenario:
    if isinstance(path_or_scenario, Scenario):
        return path_or_scenario
    return Scenario.from_dir(path_or_scenario)


class Result:
    """A run's outputs: the files ``ancillary run`` writes, held in memory.

    Each output is a DataFrame property; ``summary`` is ``summary.json`` as a dict;
    ``write(dir)`` writes the CLI's folder, byte for byte.
    """

    __slots__ = ("_inner", "_scenario", "_frames", "_report", "_dir")

    def __init__(self, inner: Any, scenario: Scenario, folder: Optional[str] = None):
        self._inner = inner
        self._scenario = scenario
        self._frames: dict = {}
        self._report: Optional[str] = None
        self._dir = folder

    @classmethod
    def from_dir(cls, out: PathLike, scenario: Union[Scenario, PathLike]) -> "Result":
        """An output folder of ``ancillary run`` (or ``Result.write``) read back, in either
        format: Parquet tables are read with pyarrow into the same typed frames as the CSV
        ones. ``scenario`` is the scenario it was run from (for ``audit`` and the report)."""
        s = _scenario(scenario)
        folder = _os.fspath(out)
        return cls(_ancillary.read_output(s._inner, folder), s, folder)

    @property
    def format(self) -> str:
        """``"parquet"`` for a folder read back with Parquet tables, else ``"csv"``."""
        if self._dir is not None and _os.path.exists(_os.path.join(self._dir, "clearing.parquet")):
            return "parquet"
        return "csv"

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def files(self) -> list:
        """The files' names as written under the output folder (``statements/C1.csv``, …),
        without the manifest ``ancillary.sha256`` that ``write`` adds."""
        return self._inner.names()

    def bytes(self, name: str) -> bytes:
        """One file's bytes, as the CLI writes them."""
        data = self._inner.file(name)
        if data is None:
            raise KeyError(f"{name}: not among this run's files ({', '.join(self.files)})")
        return data

    def frame(self, name: str) -> _pd.DataFrame:
        """Any CSV file of the run as a typed DataFrame, e.g. ``statements/C1.csv``. A file the
        run does not write because it has no rows (``market_power.csv``,
        ``performance_factors.csv``, ``storage.csv``) is an empty DataFrame with its columns."""
        if name not in self._frames and self.format == "parquet" and "/" not in name:
            path = _os.path.join(self._dir, name[: -len(".csv")] + ".parquet")
            if _os.path.exists(path):
                self._frames[name] = _parquet_frame(path)
        if name not in self._frames:
            data = self._inner.file(name)
            if data is None:
                columns = _ancillary.optional_headers().get(name)
                if columns is None:
                    raise KeyError(
                        f"{name}: not among this run's files ({', '.join(self.files)})"
                    )
                data = (",".join(columns) + "\n").encode()
            self._frames[name] = frame(data)
        # A copy: editing a returned frame never changes what the next caller gets.
        return self._frames[name].copy()

    @property
    def clearing(self) -> _pd.DataFrame:
        """``clearing.csv``: price and quantities per interval and product."""
        return self.frame("clearing.csv")

    @property
    def awards(self) -> _pd.DataFrame:
        """``awards.csv``: each offer's award per interval."""
        return self.frame("awards.csv")

    @property
    def settlement(self) -> _pd.DataFrame:
        """``settlement.csv``: compensation, penalties and allocation per day and party."""
        return self.frame("settlement.csv")

    @property
    def statement_monthly(self) -> _pd.DataFrame:
        """``statement_monthly.csv``: each party's month, per product."""
        return self.frame("statement_monthly.csv")

    @property
    def performance_factors(self) -> _pd.DataFrame:
        """``performance_factors.csv``: FR performance factor K per day and unit."""
        return self.frame("performance_factors.csv")

    @property
    def market_power(self) -> _pd.DataFrame:
        """``market_power.csv``: RSI, pivotal suppliers and HHI per interval and owner."""
        return self.frame("market_power.csv")

    @property
    def rejected_offers(self) -> _pd.DataFrame:
        """``rejected_offers.csv``: offers refused, and the clause that refused them."""
        return self.frame("rejected_offers.csv")

    @property
    def storage(self) -> _pd.DataFrame:
        """``storage.csv``: charge, discharge and state of charge (LP runs with storage)."""
        return self.frame("storage.csv")

    def floats(self, name: str) -> _pd.DataFrame:
        """:meth:`frame` with every money column (``*_yuan``) as float64, for plotting and
        statistics (``Decimal`` objects do not plot). Exact sums stay with :meth:`frame`."""
        df = self.frame(name)
        for c in df.columns:
            if column_type(c) == "decimal":
                df[c] = _pd.to_numeric(df[c].map(lambda v: float("nan") if v is None else float(v)))
        return df

    @property
    def prices(self) -> _pd.DataFrame:
        """System-wide clearing prices, one column per product, indexed by time (a wide
        view of ``clearing.csv``; each product in its own unit, ``price_unit`` there)."""
        c = self.clearing
        if "zone" in c.columns:
            c = c[c["zone"] == ""]
        return c.pivot(index="time", columns="product", values="price")

    def cleared_by_unit(self, product: str) -> _pd.DataFrame:
        """MW cleared per unit (bands added up), indexed by time, one column per unit: a wide
        view of ``awards.csv`` for one product (``"fr"``, ``"peak"``, ``"reserve"``,
        ``"energy"``)."""
        a = self.awards
        a = a[a["product"] == product]
        return a.pivot_table(
            index="time", columns="unit", values="cleared_mw", aggfunc="sum", fill_value=0.0
        )

    @property
    def nodal_prices(self) -> _pd.DataFrame:
        """Nodal prices indexed by time, one column per bus (``nodal_prices.csv``, a run over
        a network); empty without a network."""
        if "nodal_prices.csv" not in self.files:
            return _pd.DataFrame()
        n = self.frame("nodal_prices.csv")
        return n.pivot(index="time", columns="bus", values="price")

    @property
    def summary(self) -> dict:
        """``summary.json`` as ``_json.loads`` reads it (money and prices are strings there,
        exact as written: ``Decimal(summary["products"]["fr"]["compensation_yuan"])``)."""
        return _json.loads(self.bytes("summary.json"))

    @property
    def warnings(self) -> list:
        """The run's warnings (caps clamped, unpaid mileage, …), also in ``summary``."""
        return self._inner.warnings

    def write(
        self, out: PathLike, *, force: bool = False, report: bool = False, format: str = "csv"
    ) -> None:
        """Writes the outputs into the folder ``out`` as ``ancillary run --out OUT`` does (with
        ``report``, as ``--report``; with ``format="parquet"``, as ``--format parquet``): the
        same files, byte for byte, with the manifest ``ancillary.sha256``. The folder is
        swapped in whole; an existing one is replaced only if it is an intact earlier
        ancillary output, else :class:`OutputError` unless ``force`` (then only our files are
        written into it)."""
        self._inner.write(_os.fspath(out), force, report, format)

    def report_html(self, at: Optional[str] = None) -> str:
        """The self-contained HTML report of ``ancillary run --report`` (plots, statements and
        the audit of these results). ``at`` (e.g. ``"2024-03-01T18:00"``) picks the interval
        of the offer stacks."""
        if at is not None:
            return self._inner.report_html(at)
        if self._report is None:
            self._report = self._inner.report_html(None)
        return self._report

    def _repr_html_(self) -> str:
        # The report is a whole page with its own styles: framed, so that it neither restyles
        # the notebook nor is restyled by it.
        page = _html.escape(self.report_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:720px;border:1px solid #ddd" '
            'sandbox="allow-same-origin"></iframe>'
        )

    def __repr__(self) -> str:
        s = self.summary
        products = ", ".join(
            f"{p} {v.get('compensation_yuan', '?')} yuan" for p, v in s.get("products", {}).items()
        )
        return f"<ancillary.Result {self._scenario.name!r}: {products or 'no products'}>"


def run(path_or_scenario: Union[Scenario, PathLike], *, solver: Optional[str] = None) -> Result:
    """Loads (when given a folder), clears, prices and bills a scenario, as ``ancillary run``.

    ``solver`` (``"clarabel"`` or ``"highs"``) overrides ``[clearing] solver`` for LP runs, as
    ``run --solver`` does: scenario.toml and the input digest are unchanged, and so is every
    output byte (only the time differs). HiGHS needs the package built with it (``pip install
    ./python --config-settings=build-args="--features highs"``). The GIL is released during
    the run.
    """
    scenario = _scenario(path_or_scenario)
    return Result(_ancillary.run(scenario._inner, solver), scenario)


def batch(
    scenarios: list,
    *,
    jobs: Optional[int] = None,
    solver: Optional[str] = None,
) -> list:
    """Runs many scenarios (Scenarios or folders) on ``jobs`` threads of the Rust thread pool
    (all cores when None), with the GIL released, as ``ancillary batch``. Returns one item per
    scenario, in order: its :class:`Result`, or the :class:`InputError` it failed with (one
    failure never stops the others). Folders are loaded first; a folder that does not load is
    an InputError in its place too."""
    loaded: list = []
    for s in scenarios:
        try:
            loaded.append(_scenario(s))
        except InputError as e:
            loaded.append(e)
    ok = [s for s in loaded if isinstance(s, Scenario)]
    runs = iter(_ancillary.batch([s._inner for s in ok], jobs, solver))
    out = []
    for s in loaded:
        if isinstance(s, Scenario):
            r = next(runs)
            out.append(r if isinstance(r, InputError) else Result(r, s))
        else:
            out.append(s)
    return out


def audit(scenario: Union[Scenario, PathLike], result: Optional[Result] = None) -> _pd.DataFrame:
    """Checks ``result`` (a fresh run when None) against notice 196, clause by clause, as
    ``ancillary audit``: the rows of ``audit.csv`` (``clause, rule, status, detail, basis``;
    ``status`` is ``pass``, ``fail`` or ``n/a``). The scenario is run again for the
    reproduction check (§五(七)), so a result of other settings fails it."""
    s = _scenario(scenario)
    return frame(_ancillary.audit(s._inner, None if result is None else result._inner))


class Difference(NamedTuple):
    """One difference found by :func:`diff`; ``str()`` gives the CLI's line."""

    file: str
    key: str
    column: str
    expected: str
    actual: str
    line: str

    def __str__(self) -> str:
        return self.line


def diff(
    expected: Union[Result, PathLike],
    actual: Union[Result, PathLike],
    *,
    price_tol: Union[str, float, _Decimal] = "1e-6",
    money_tol: Union[str, float, _Decimal] = "0",
) -> list:
    """Every difference between two outputs (output folders or Results), as ``ancillary
    diff``: rows matched by key, money (``*_yuan``) within ``money_tol`` 元 (0: to the fen),
    other numbers within ``price_tol``. An empty list: equal."""

    def side(x: Union[Result, PathLike]) -> Any:
        return x._inner if isinstance(x, Result) else _os.fspath(x)

    rows = _ancillary.diff(side(expected), side(actual), str(price_tol), str(money_tol))
    return [Difference(*r) for r in rows]
