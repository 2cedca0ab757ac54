# Independent check of the re-blessed goldens: FR compensation per (day, unit) recomputed from
# the goldens' own awards.csv (paid price, K, award), the scenario's mileage (fr_mileage.csv, or
# agc_setpoints.csv as Σ|Δsetpoint| in the interval holding the later sample) and units.csv's
# ramp: fee = price × min(mileage, ramp × 15, award × 15) × K, summed, rounded half up to the fen.
import csv, collections, datetime, sys
from decimal import Decimal as D, ROUND_HALF_UP
name=sys.argv[1]; d=f"scenarios/{name}"; g=f"tests/golden/{name}"
mins=15
units={r['unit']:r for r in csv.DictReader(open(d+"/units.csv"))}
mil={}
try:
    for r in csv.DictReader(open(d+"/fr_mileage.csv")): mil[(r['time'],r['unit'])]=D(r['mileage_mw'])
except FileNotFoundError:
    rows=collections.defaultdict(list)
    for r in csv.DictReader(open(d+"/agc_setpoints.csv")): rows[r['unit']].append((r['time'],D(r['setpoint_mw'])))
    for u,v in rows.items():
        v.sort()
        for (t0,a),(t1,b) in zip(v,v[1:]):
            t=datetime.datetime.fromisoformat(t1); m=(t.hour*60+t.minute)//mins*mins
            k=(t.replace(hour=m//60,minute=m%60).strftime("%Y-%m-%dT%H:%M"),u)
            mil[k]=mil.get(k,D(0))+abs(b-a)
want=collections.defaultdict(D); capped=set(); qty=collections.defaultdict(D)
for r in csv.DictReader(open(g+"/awards.csv")):
    if r['product']!='fr' or D(r['cleared_mw'])<=0: continue
    m=mil.get((r['time'],r['unit']))
    if m is None or m==0: continue
    aw=D(r['cleared_mw']); ramp=units[r['unit']].get('ramp_mw_per_min') or ''
    b=aw*mins
    if ramp: b=min(b, D(ramp)*mins)
    key=(r['time'][:10], r['unit'])
    if m>b: capped.add(key)
    pm=min(m,b); qty[key]+=pm
    want[key]+=D(r['paid_price'])*pm*D(r['performance_factor'])
bad=0; n=0; ncap=0
for r in csv.DictReader(open(g+"/settlement.csv")):
    if r['product']!='fr' or r['item']!='compensation': continue
    key=(r['day'],r['party']); n+=1
    w=want.get(key,D(0)).quantize(D('0.01'),ROUND_HALF_UP)
    if D(r['amount_yuan'])!=w or D(r['quantity'])!=qty.get(key,D(0)) or (('+mileage-capped' in r['basis'])!=(key in capped)):
        bad+=1; print("MISMATCH", key, r['amount_yuan'], w, r['quantity'], qty.get(key), r['basis'])
    ncap+= key in capped
# pools balance per (day, product)
bal=collections.defaultdict(D)
for r in csv.DictReader(open(g+"/settlement.csv")): bal[(r['day'],r['product'])]+=D(r['amount_yuan'])
print(name, "FR compensation rows", n, "mismatches", bad, "capped day-units", ncap, "unbalanced pools", sum(1 for v in bal.values() if v!=0))
