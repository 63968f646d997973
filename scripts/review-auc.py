#!/usr/bin/env python3
# Review-graph evaluation (docs/benchmarks.md, "rev11"): the AUC of a store's latest stored
# scores against a truth CSV, beside the degree-only ranking, with a paired bootstrap interval.
#   scripts/review-auc.py STORE TRUTH.csv [RESAMPLES]
"""AUC of a store's stored scores against a truth CSV (account_id,label), beside the
degree-only ranking ("fewer events first"), with a paired bootstrap interval of the margin."""
import csv, sqlite3, sys, random
from collections import Counter

import numpy as np
from scipy.stats import rankdata

def auc(scores, labels):
    # Mann-Whitney with ties counted half.
    r = rankdata(scores); y = np.asarray(labels, dtype=bool)
    n1 = y.sum(); n0 = len(y) - n1
    return (r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)

store, truth = sys.argv[1], sys.argv[2]
resamples = int(sys.argv[3]) if len(sys.argv) > 3 else 200
db = sqlite3.connect(store)
run = db.execute("select max(run_id) from scores").fetchone()[0]
score = dict(db.execute("select account_id, score from scores where run_id = ?", (run,)))
deg = Counter(dict(db.execute("select account_id, count(*) from events group by account_id")))
lab = {r["account_id"]: r["label"] == "fraud" for r in csv.DictReader(open(truth))}
ids = sorted(a for a in lab if a in score)
y = np.array([lab[a] for a in ids])
s = np.array([score[a] for a in ids])
d = np.array([-deg[a] for a in ids])
a_s, a_d = auc(s, y), auc(d, y)
rng = random.Random(11)
diffs = []
for _ in range(resamples):
    idx = np.array([rng.randrange(len(ids)) for _ in ids])
    diffs.append(auc(s[idx], y[idx]) - auc(d[idx], y[idx]))
diffs.sort()
lo, hi = diffs[int(0.025 * resamples)], diffs[int(0.975 * resamples) - 1]
print(f"accounts {len(ids)} fraud {sum(y)}  detect AUC {a_s:.4f}  degree-only {a_d:.4f}  margin {a_s - a_d:+.4f} (95% bootstrap {lo:+.4f} .. {hi:+.4f})")
