#!/usr/bin/env python3
"""Accounts on a payment instrument used by 3-40 accounts that share no device or address with any
other account on it, counted by truth label and the instrument's size (benchmarks, cards55).

  scripts/card-strangers.py STORE SIM_DIR      # SIM_DIR/truth.csv: account_id,label,attack,group,lookalike
"""
import sqlite3, csv, collections, sys, os
if len(sys.argv) != 3:
    sys.exit("usage: scripts/card-strangers.py STORE SIM_DIR  (SIM_DIR holds truth.csv)")
st, sim = sys.argv[1], sys.argv[2]
for p in (st, os.path.join(sim, "truth.csv")):
    if not os.path.isfile(p):
        sys.exit(f"card-strangers: {p}: no such file")
db=sqlite3.connect('file:%s?mode=ro'%st,uri=True)
tr={r['account_id']:r for r in csv.DictReader(open(sim+'/truth.csv'))}
def lab(a):
  r=tr.get(a,{}); return r.get('attack') if r.get('label')=='fraud' else 'legit:'+(r.get('lookalike') or '')
acc_ids=collections.defaultdict(set)
for a,kind,v in db.execute("select account_id,kind,value from links where kind in ('device','payment','address')"):
  acc_ids[a].add((kind,v))
card_accs=collections.defaultdict(set)
for a,s in acc_ids.items():
  for k,v in s:
    if k=='payment': card_accs[v].add(a)
out=collections.Counter(); ex=collections.defaultdict(list)
for v,accs in card_accs.items():
  m=len(accs)
  if m<3 or m>40: continue
  for a in accs:
    others=accs-{a}
    linked=sum(1 for b in others if any((k,w) in acc_ids[b] for (k,w) in acc_ids[a] if not (k=='payment' and w==v)))
    if linked==0:
      l=lab(a); key='fraud:'+l if not l.startswith('legit') else 'legit'
      out[(m if m<6 else '6+',key)]+=1
      if l.startswith('legit'): ex[l].append(m)
for k in sorted(out,key=str): print(k,out[k])
print({k:len(v) for k,v in ex.items()})
