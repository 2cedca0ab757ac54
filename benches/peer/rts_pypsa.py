"""The peer side of `benches/peer`: an ancillary scenario folder (energy + FR + reserve on a
copper plate, as `ancillary import rts-gmlc` writes it) as a PyPSA model, solved with HiGHS
through linopy, one day at a time as ancillary's LP engine does (storage state of charge
carried from day to day).

Same formulation as ancillary's LP (README, "Joint clearing with energy"):
  minimise  Σ price·energy + Σ ranking·FR + Σ offer·reserve + Σ cost·shortfall
            + cap·(energy shortfall + spill)
  balance   Σ energy + storage (discharge − charge) + shortfall − spill = load
  FR        Σ r + s_fr ≥ fr_mw;   reserve  Σ q + s_res ≥ reserve_mw
  units     p + r + q ≤ capacity and p − r ≥ min_output where the unit offers energy,
            else r + q ≤ capacity; r ≤ 5·ramp, q ≤ 10·ramp; |p(t) − p(t−1)| ≤ ramp·minutes
  storage   soc(t) = soc(t−1) + efficiency·charge·h − discharge·h, 0 ≤ soc ≤ energy capacity
Energy segments are PyPSA generators, the battery a StorageUnit, the load a Load; the
ancillary-service variables and unit couplings are added with linopy (extra functionality),
vectorised over (unit, snapshot).

FR ranking prices follow notice 196 §三(四) as ancillary applies them by default: K = product
of rate, precision and response ratios to the best coal unit's design parameters, rounded to
4 places, capped at 2; ranking = offer price / K, to 4 places. Offers above the caps are
refused (FR 15 元/MW, reserve and energy at the energy cap unless scenario.toml sets them).

With a network (`buses.csv`, as `ancillary import rts-gmlc` writes by default): each unit at
its bus, the bus loads of `bus_loads.csv` as one Load per bus, the lines of `lines.csv` as
PyPSA Lines (lossless DC power flow, reactance `x` in p.u. with v_nom = 1, `s_nom` the limit,
none where the limit is empty), energy shortfall and spill at the reference bus (the first in
`buses.csv`, or `[network] reference_bus`), and `zone_requirements.csv` as one FR and one
reserve row per (zone, snapshot) over the units at the zone's buses, each with its shortfall at
the same cost as the system-wide row's.

Prints one JSON line: objective, build and solve seconds (summed over days). With a network,
`PEER_PRICES=FILE` also writes every bus's price per snapshot (`time,bus,price`: the dual of
PyPSA's nodal balance, 元/MWh) and `PEER_LOAD_SHIFT_MW=d` adds d MW to the load at the
reference bus in every snapshot (`benches/peer/nodal.py` uses both). `PEER_LP_FILE=F.mps`
writes the first day's LP (for `benches/peer/bare_highs.py`).
Usage: python rts_pypsa.py SCENARIO_DIR
"""

import json
import os
import sys
import time
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pypsa
import xarray as xr

FR_CAP = 15.0  # notice 196 §三(四): mileage price ≤ 15 元/MW
K_CAP = Decimal(2)  # notice 196 §三(四): K ≤ 2
FR_RESPONSE_MIN = 5.0  # ancillary's [clearing] fr_response_minutes default
RESERVE_RESPONSE_MIN = 10.0  # ... reserve_response_minutes default


def round4(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def covered(times: pd.DatetimeIndex, start: str, end: str) -> np.ndarray:
    return (times >= pd.Timestamp(start)) & (times < pd.Timestamp(end))


def main(folder: Path) -> None:
    t_all = time.perf_counter()
    cfg = tomllib.loads((folder / "scenario.toml").read_text())
    caps = cfg.get("caps", {})
    energy_cap = float(caps.get("energy_market_price_cap_yuan_per_mwh", 1500.0))
    fr_cap = min(FR_CAP, float(caps.get("fr_mileage_price_yuan_per_mw", FR_CAP)))
    reserve_cap = min(energy_cap, float(caps.get("reserve_price_yuan_per_mwh", energy_cap)))
    minutes = int(cfg["interval_minutes"])
    hours = minutes / 60.0
    times = pd.date_range(cfg["start"], periods=int(cfg["intervals"]), freq=f"{minutes}min")

    units = pd.read_csv(folder / "units.csv", dtype={"unit": str}).set_index("unit")
    req = pd.read_csv(folder / "requirements.csv", parse_dates=["time"]).set_index("time")
    req = req.reindex(times).fillna(0.0)
    energy = pd.read_csv(folder / "energy_offers.csv", dtype={"unit": str})
    fr = pd.read_csv(folder / "fr_offers.csv", dtype={"unit": str})
    res = pd.read_csv(folder / "reserve_offers.csv", dtype={"unit": str})
    energy = energy[energy.price_yuan_per_mwh <= energy_cap]
    fr = fr[fr.price_yuan_per_mw <= fr_cap]
    res = res[res.price_yuan_per_mwh <= reserve_cap]

    # Benchmark: the coal unit with the highest rate / (precision × response); ties to the
    # higher rate, lower precision, lower response, then the smaller id.
    design = units[(units.kind == "coal") & units.design_rate_pct_per_min.notna()]
    best = sorted(
        design.index,
        key=lambda u: (
            -Decimal(str(design.at[u, "design_rate_pct_per_min"]))
            / (Decimal(str(design.at[u, "design_precision_pct"])) * Decimal(str(design.at[u, "design_response_s"]))),
            -Decimal(str(design.at[u, "design_rate_pct_per_min"])),
            Decimal(str(design.at[u, "design_precision_pct"])),
            Decimal(str(design.at[u, "design_response_s"])),
            u,
        ),
    )[0]
    bench = [Decimal(str(design.at[best, c])) for c in
             ("design_rate_pct_per_min", "design_precision_pct", "design_response_s")]

    def k_of(u: str) -> Decimal:
        rate, precision, response = (Decimal(str(units.at[u, c])) for c in
                                     ("design_rate_pct_per_min", "design_precision_pct", "design_response_s"))
        return min(round4((rate / bench[0]) * (bench[1] / precision) * (bench[2] / response)), K_CAP)

    ks = {u: k_of(u) for u in fr.unit.unique()}
    fr = fr[fr.unit.map(lambda u: ks[u] > 0)]
    fr = fr.assign(key=[float(round4(Decimal(str(p)) / ks[u])) for u, p in zip(fr.unit, fr.price_yuan_per_mw)])

    names = list(units.index)
    ui = {u: i for i, u in enumerate(names)}
    n_t = len(times)

    def matrix(offers: pd.DataFrame, value: str) -> np.ndarray:
        out = np.zeros((len(names), n_t))
        for row in offers.itertuples(index=False):
            out[ui[row.unit], covered(times, row.start, row.end)] = getattr(row, value)
        return out

    fr_mw, fr_key = matrix(fr, "capacity_mw"), matrix(fr, "key")
    # FR prices are per MW of mileage: weighed against energy (per MWh) by the mileage expected
    # per MW of FR per interval ÷ the interval's hours, as ancillary's LP does ([fr]
    # expected_mileage_per_mw, else Σ mileage ÷ Σ FR MW offered where both are given).
    expected = cfg.get("fr", {}).get("expected_mileage_per_mw")
    if expected is None and (folder / "fr_mileage.csv").exists():
        mil = pd.read_csv(folder / "fr_mileage.csv", parse_dates=["time"], dtype={"unit": str})
        mil = mil[mil.unit.isin(ui)]
        ti = {t: i for i, t in enumerate(times)}
        offered = matrix(pd.read_csv(folder / "fr_offers.csv", dtype={"unit": str}), "capacity_mw")
        pairs = [(offered[ui[u], ti[t]], m) for u, t, m in zip(mil.unit, mil.time, mil.mileage_mw)
                 if t in ti and offered[ui[u], ti[t]] > 0]
        if pairs and sum(c for c, _ in pairs) > 0:
            expected = sum(m for _, m in pairs) / sum(c for c, _ in pairs)
    fr_weight = (float(expected) / hours) if expected else 1.0
    fr_key = fr_key * fr_weight
    res_mw, res_price = matrix(res, "capacity_mw"), matrix(res, "price_yuan_per_mwh")
    has_energy = np.zeros((len(names), n_t), dtype=bool)
    for row in energy.itertuples(index=False):
        has_energy[ui[row.unit], covered(times, row.start, row.end)] = True

    cap = units.capacity_mw.to_numpy(float)
    min_out = units.min_output_mw.fillna(0).to_numpy(float)
    ramp = units.ramp_mw_per_min.to_numpy(float)  # NaN: no ramp limit
    storage = units.kind.eq("storage").to_numpy()
    assert not (storage[:, None] & ((fr_mw > 0) | (res_mw > 0))).any(), "storage FR not modelled here"
    fr_ub = np.where(np.isnan(ramp)[:, None], fr_mw, np.minimum(fr_mw, (ramp * FR_RESPONSE_MIN)[:, None]))
    res_ub = np.where(np.isnan(ramp)[:, None], res_mw, np.minimum(res_mw, (ramp * RESERVE_RESPONSE_MIN)[:, None]))

    # Energy segments → generators: p_nom the segment's largest MW, p_max_pu and the price by hour.
    energy = energy.assign(gen=energy.unit + "#" + energy.segment.astype(str))
    gens = sorted(energy.gen.unique())
    seg_mw = pd.DataFrame(0.0, index=times, columns=gens)
    seg_price = pd.DataFrame(0.0, index=times, columns=gens)
    for row in energy.itertuples(index=False):
        mask = covered(times, row.start, row.end)
        seg_mw.loc[mask, row.gen] = row.mw
        seg_price.loc[mask, row.gen] = row.price_yuan_per_mwh
    gen_unit = {g: g.split("#")[0] for g in gens}

    # The network, where the scenario has one.
    grid = (folder / "buses.csv").exists()
    if grid:
        buses = pd.read_csv(folder / "buses.csv", dtype=str)
        lines = pd.read_csv(folder / "lines.csv", dtype={"line": str, "from_bus": str, "to_bus": str})
        reference = cfg.get("network", {}).get("reference_bus", buses.bus.iloc[0])
        unit_bus = units.bus.astype(str).to_dict() if "bus" in units else {}
        unit_bus = {u: str(b).removesuffix(".0") for u, b in unit_bus.items()}
        zone_of_bus = dict(zip(buses.bus, buses.zone))
        unit_zone = np.array([zone_of_bus[unit_bus[u]] for u in names])
        if (folder / "bus_loads.csv").exists():
            bl = pd.read_csv(folder / "bus_loads.csv", parse_dates=["time"], dtype={"bus": str})
            bus_load = bl.pivot_table(index="time", columns="bus", values="load_mw", aggfunc="sum") \
                .reindex(times).fillna(0.0)
        else:
            bus_load = pd.DataFrame({reference: req.load_mw}, index=times)
        zone_req = pd.DataFrame(columns=["time", "zone", "fr_mw", "reserve_mw"])
        if (folder / "zone_requirements.csv").exists():
            zone_req = pd.read_csv(folder / "zone_requirements.csv", parse_dates=["time"], dtype={"zone": str})
        zones = list(dict.fromkeys(buses.zone))

        def zonal(column: str) -> pd.DataFrame:
            if zone_req.empty:
                return pd.DataFrame(0.0, index=times, columns=zones)
            return zone_req.pivot_table(index="time", columns="zone", values=column, aggfunc="sum") \
                .reindex(index=times, columns=zones).fillna(0.0)
        zone_fr, zone_res = zonal("fr_mw"), zonal("reserve_mw")
    else:
        reference = "plate"

    soc = {u: float(units.at[u, "initial_soc_mwh"]) for u in names if units.at[u, "kind"] == "storage"}
    objective = build_s = solve_s = 0.0
    prices = []
    for day in sorted(set(times.date)):
        tm = np.asarray(times.date == day)
        snaps = times[tm]
        t0 = time.perf_counter()
        n = pypsa.Network()
        n.set_snapshots(snaps)
        n.snapshot_weightings.loc[:, "objective"] = 1.0  # costs per MW of each interval
        n.snapshot_weightings.loc[:, "stores"] = hours
        n.snapshot_weightings.loc[:, "generators"] = hours
        load = req.load_mw[tm]
        if grid:
            n.add("Bus", list(buses.bus), v_nom=1.0)
            day_load = bus_load[tm].copy()
            shift = float(os.environ.get("PEER_LOAD_SHIFT_MW", "0"))
            if shift:
                day_load[reference] = day_load.get(reference, 0.0) + shift
            n.add("Load", ["load " + b for b in day_load.columns], bus=list(day_load.columns),
                  p_set=day_load.set_axis(["load " + b for b in day_load.columns], axis=1))
            limit = lines.limit_mw.fillna(1e9).to_numpy(float)
            n.add("Line", list(lines.line), bus0=list(lines.from_bus), bus1=list(lines.to_bus),
                  x=lines.reactance_pu.to_numpy(float), r=0.0, s_nom=limit)
            at = lambda u: unit_bus[u]  # noqa: E731
        else:
            n.add("Bus", "plate")
            n.add("Load", "load", bus="plate", p_set=load)
            at = lambda u: "plate"  # noqa: E731
        day_gens = [g for g in gens if seg_mw.loc[tm, g].max() > 0]
        p_nom = seg_mw.loc[tm, day_gens].max()
        n.add("Generator", day_gens, bus=[at(gen_unit[g]) for g in day_gens], p_nom=p_nom.to_numpy(),
              p_max_pu=seg_mw.loc[tm, day_gens] / p_nom, marginal_cost=seg_price.loc[tm, day_gens])
        n.add("Generator", "shortfall", bus=reference, p_nom=max(load.max(), 1.0),
              p_max_pu=load / max(load.max(), 1.0), marginal_cost=energy_cap)
        n.add("Generator", "spill", bus=reference, p_nom=1e6, p_min_pu=-1.0, p_max_pu=0.0,
              marginal_cost=-energy_cap)
        for u, s0 in soc.items():
            n.add("StorageUnit", u, bus=at(u), p_nom=cap[ui[u]], p_min_pu=-1.0,
                  max_hours=float(units.at[u, "energy_capacity_mwh"]) / cap[ui[u]],
                  efficiency_store=float(units.at[u, "efficiency"]), efficiency_dispatch=1.0,
                  state_of_charge_initial=s0, cyclic_state_of_charge=False)
        m = n.optimize.create_model()

        # Ancillary services over (unit, snapshot).
        coords = [pd.Index(names, name="unit"), pd.Index(snaps, name="snapshot")]
        da = lambda a: xr.DataArray(a[:, tm], coords=coords)  # noqa: E731
        r = m.add_variables(lower=0, upper=da(fr_ub), name="fr")
        q = m.add_variables(lower=0, upper=da(res_ub), name="reserve")
        fr_req, res_req = req.fr_mw[tm].to_numpy(), req.reserve_mw[tm].to_numpy()
        s_coords = [pd.Index(snaps, name="snapshot")]
        s_fr = m.add_variables(lower=0, upper=xr.DataArray(fr_req, coords=s_coords), name="fr_shortfall")
        s_res = m.add_variables(lower=0, upper=xr.DataArray(res_req, coords=s_coords), name="reserve_shortfall")
        m.add_constraints(r.sum("unit") + s_fr >= xr.DataArray(fr_req, coords=s_coords), name="fr_requirement")
        m.add_constraints(q.sum("unit") + s_res >= xr.DataArray(res_req, coords=s_coords), name="reserve_requirement")

        # What falling short costs: the cap, or just above the dearest eligible bid.
        def shortfall_cost(keys: np.ndarray, offered: np.ndarray, cap_: float) -> np.ndarray:
            top = np.where(offered[:, tm] > 0, keys[:, tm], 0).max(axis=0)
            return np.where(top < cap_, cap_, top + 1.0)

        # A unit's output: its segments (generators) summed.
        gp = m["Generator-p"].sel(name=day_gens)
        by_unit = xr.DataArray([gen_unit[g] for g in day_gens], coords=[pd.Index(day_gens, name="name")], name="unit")
        p_u = gp.groupby(by_unit).sum().reindex(unit=names)
        e = da(has_energy)
        ancillary = da((fr_mw > 0) | (res_mw > 0))
        m.add_constraints(p_u + r + q <= da(np.repeat(cap[:, None], n_t, 1)), name="headroom", mask=e & ancillary)
        m.add_constraints(p_u - r >= da(np.repeat(min_out[:, None], n_t, 1)), name="footroom", mask=e & ~da(np.repeat(storage[:, None], n_t, 1)))
        m.add_constraints(r + q <= da(np.repeat(cap[:, None], n_t, 1)), name="both", mask=~e & da((fr_mw > 0) & (res_mw > 0)))
        step = da(np.repeat(np.nan_to_num(ramp * minutes, nan=np.inf)[:, None], n_t, 1))
        prev = e.shift(snapshot=1, fill_value=False)
        limited = e & prev & da(np.repeat((~np.isnan(ramp) & ~storage)[:, None], n_t, 1))
        delta = p_u - p_u.shift(snapshot=1)
        m.add_constraints(delta <= step, name="ramp_up", mask=limited)
        m.add_constraints(delta >= -step, name="ramp_down", mask=limited)

        cost_expr = m.objective.expression + (r * da(fr_key)).sum() + (q * da(res_price)).sum() \
            + (s_fr * xr.DataArray(shortfall_cost(fr_key, fr_mw, fr_cap * fr_weight), coords=s_coords)).sum() \
            + (s_res * xr.DataArray(shortfall_cost(res_price, res_mw, reserve_cap), coords=s_coords)).sum()
        if grid:
            # Zonal minimums: the units at the zone's buses, with the zone's own shortfall.
            for z in zones:
                inside = unit_zone == z
                for var, need, keys, offered, cap_, tag in (
                    (r, zone_fr, fr_key, fr_mw, fr_cap * fr_weight, "fr"),
                    (q, zone_res, res_price, res_mw, reserve_cap, "reserve"),
                ):
                    want = need[z].to_numpy()[tm]
                    if not (want > 0).any():
                        continue
                    short = m.add_variables(lower=0, upper=xr.DataArray(want, coords=s_coords),
                                            name=f"{tag}_shortfall_{z}")
                    zone_units = [u for u, k in zip(names, inside) if k]
                    m.add_constraints(var.sel(unit=zone_units).sum("unit") + short
                                      >= xr.DataArray(want, coords=s_coords), name=f"{tag}_requirement_{z}")
                    cost = shortfall_cost(np.where(inside[:, None], keys, 0), np.where(inside[:, None], offered, 0), cap_)
                    cost_expr = cost_expr + (short * xr.DataArray(cost, coords=s_coords)).sum()
        m.objective = cost_expr
        if os.environ.get("PEER_LP_FILE") and day == min(times.date):
            m.to_file(Path(os.environ["PEER_LP_FILE"]))  # the first day's LP, for bare_highs.py
        t1 = time.perf_counter()
        status, condition = n.optimize.solve_model(solver_name="highs", log_to_console=False)
        t2 = time.perf_counter()
        assert status == "ok", (status, condition)
        build_s += t1 - t0
        solve_s += t2 - t1
        objective += float(m.objective.value)
        for u in soc:
            soc[u] = float(n.storage_units_t.state_of_charge[u].iloc[-1])
        if grid:
            prices.append(n.buses_t.marginal_price.copy())
    if grid and os.environ.get("PEER_PRICES"):
        long = pd.concat(prices).rename_axis(index="time", columns="bus").stack().rename("price")
        long.reset_index().to_csv(os.environ["PEER_PRICES"], index=False, date_format="%Y-%m-%dT%H:%M")
    print(json.dumps({
        "objective": objective,
        "build_s": round(build_s, 4),
        "solve_s": round(solve_s, 4),
        "in_script_s": round(time.perf_counter() - t_all, 4),
        "pypsa": pypsa.__version__,
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
