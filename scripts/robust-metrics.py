#!/usr/bin/env python3
"""Metrics for scripts/bench-robust, from a case store's scores and a simulation's truth.csv.

  robust-metrics.py --row STORE TRUTH --label L --world W --seconds S --loo JSON   one JSON row
  robust-metrics.py --top5 FAMILY STORE TRUTH                                     share of FAMILY in the top 5 %
  robust-metrics.py --table RESULTS.jsonl [--fp]                                  per-world rows, mean, worst
  robust-metrics.py --table RESULTS.jsonl --tags [--base BASE.jsonl]              per look-alike tag: mean, worst

Per family, two recalls: `recall` is the share of the family in the top K (K = the number of fraud
accounts), and `recall_fp` the share ranked above the queue's first K/10 innocents (the false positives
a P@K of 0.9 allows). Recall at K is zero-sum: a change that brings one whole family into the top K
pushes other families' members at the cut out of it even when no innocent got in. Recall at the fixed
false-positive budget moves only when innocents move above or below a family's members, so a family
that falls there was hurt by what came above it, not displaced by other fraud. `--table --fp` shows it.

Each row also keeps, per look-alike tag of truth.csv (innocents only), `tags`: {tag: [accounts,
in the top K, among the queue's first K/10 innocents]} — the second count is the innocents a sign
puts inside the false-positive budget `recall_fp` is measured at. `--tags` prints per tag the mean
and the worst (largest) of both counts over the rows, and with `--base` the same for a baseline's
rows and the difference (the look-alike world: docs/robustness.md, "Honest look-alikes").

The queue order is the store's: score descending, ties by account id (as the workbench shows
them), so ties at one score count against a ranking rather than being averaged away for P@K.
AUC counts ties as half (Mann-Whitney).
"""
import csv, json, sqlite3, sys


def load(store, truth):
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    score = dict(db.execute("SELECT account_id, score FROM scores"))
    rows = []
    with open(truth, newline="") as f:
        for r in csv.DictReader(f):
            tags = [t for t in (r.get("lookalike") or "").split("|") if t]
            rows.append((r["account_id"], r["label"] == "fraud", r.get("attack") or "fraud", tags, score.get(r["account_id"], 0.0)))
    rows.sort(key=lambda r: (-r[4], r[0]))
    return rows


def auc(rows):
    # rank-sum with ties averaged
    asc = sorted(rows, key=lambda r: r[4])
    ranks, i = [0.0] * len(asc), 0
    while i < len(asc):
        j = i
        while j + 1 < len(asc) and asc[j + 1][4] == asc[i][4]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(1 for r in asc if r[1])
    neg = len(asc) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    s = sum(rk for rk, r in zip(ranks, asc) if r[1])
    return (s - pos * (pos + 1) / 2) / (pos * neg)


def row(store, truth, label, world, seconds, loo):
    rows = load(store, truth)
    k = sum(1 for r in rows if r[1])
    top = rows[:k]
    fam_total, fam_top = {}, {}
    for r in rows:
        if r[1]:
            fam_total[r[2]] = fam_total.get(r[2], 0) + 1
    for r in top:
        if r[1]:
            fam_top[r[2]] = fam_top.get(r[2], 0) + 1
    # innocent look-alike groups: a tag (or a numbered group such as office-3) among legit accounts
    groups = {}
    for r in top:
        if not r[1]:
            for t in r[3]:
                groups[t] = groups.get(t, 0) + 1
    big = max(groups.items(), key=lambda x: x[1]) if groups else ("-", 0)
    # recall at a fixed false-positive budget: members ranked above the (K/10 + 1)-th innocent
    budget, seen, fam_fp = k // 10, 0, {}
    tag_fp = {}
    for r in rows:
        if not r[1]:
            seen += 1
            if seen > budget:
                break
            for t in r[3]:
                tag_fp[t] = tag_fp.get(t, 0) + 1
        else:
            fam_fp[r[2]] = fam_fp.get(r[2], 0) + 1
    tag_n = {}
    for r in rows:
        if not r[1]:
            for t in r[3]:
                tag_n[t] = tag_n.get(t, 0) + 1
    # innocents ranked above the fraud account at recall 0.75: unlike the top K or the first K/10
    # innocents, this count does not change when *other* innocents leave the top (not zero-sum)
    need, got, tag_r75 = -(-3 * k // 4), 0, {}
    for r in rows:
        if got >= need:
            break
        if r[1]:
            got += 1
        else:
            for t in r[3]:
                tag_r75[t] = tag_r75.get(t, 0) + 1
    return {
        "label": label, "world": world, "accounts": len(rows), "k": k, "auc": auc(rows),
        "p_at_k": sum(1 for r in top if r[1]) / k if k else float("nan"),
        "recall": {f: fam_top.get(f, 0) / n for f, n in fam_total.items()},
        "recall_fp": {f: fam_fp.get(f, 0) / n for f, n in fam_total.items()},
        "lookalike": big[0], "lookalike_share": big[1] / k if k else 0.0,
        "zero_ties": sum(1 for r in rows if r[4] == 0), "seconds": seconds, "loo": loo,
        "tags": {t: [n, groups.get(t, 0), tag_fp.get(t, 0), tag_r75.get(t, 0)] for t, n in sorted(tag_n.items())},
    }


def top5(family, store, truth):
    rows = load(store, truth)
    cut = max(1, len(rows) // 20)
    n = sum(1 for r in rows if r[1] and r[2] == family)
    hit = sum(1 for r in rows[:cut] if r[1] and r[2] == family)
    return hit / n if n else float("nan")


def table(path, fp=False):
    res = [json.loads(l) for l in open(path) if l.strip()]
    if not res:
        print("no results")
        return
    if fp:
        missing = [r["world"] for r in res if "recall_fp" not in r]
        if missing:
            sys.exit("%s: rows without recall_fp (made before it existed): %s" % (path, " ".join(missing)))
        for r in res:
            r["recall"] = r["recall_fp"]
        print("per-family recall above the first K/10 innocents (--fp), not recall at K")
    fams = sorted({f for r in res for f in r["recall"]})
    short = {"ato": "ato", "brushing": "brush", "click_farm": "farm", "deal_hunter": "deal", "refund_abuse": "refund",
             "scalper": "scalp", "scraper": "scrape", "spam": "spam"}
    head = "%-24s %-12s %6s %5s %6s %6s " % ("binary", "world", "acc", "K", "AUC", "P@K")
    head += " ".join("%6s" % short.get(f, f[:6]) for f in fams) + "  %-18s %5s %7s" % ("top look-alike", "share", "ties@0")
    loo_fams = sorted({f for r in res for f in r.get("loo", {})})
    if loo_fams:
        head += "  LOO top5%: " + " ".join("%6s" % short.get(f, f[:6]) for f in loo_fams)
    print(head)
    for r in res:
        line = "%-24s %-12s %6d %5d %6.4f %6.4f " % (r["label"][-24:], r["world"], r["accounts"], r["k"], r["auc"], r["p_at_k"])
        line += " ".join("%6s" % ("%.2f" % r["recall"][f] if f in r["recall"] else "-") for f in fams)
        line += "  %-18s %5.3f %7d" % (r["lookalike"][:18], r["lookalike_share"], r["zero_ties"])
        if loo_fams:
            line += "             " + " ".join("%6s" % ("%.2f" % r["loo"][f] if f in r.get("loo", {}) else "-") for f in loo_fams)
        print(line)
    print()
    for label in sorted({r["label"] for r in res}):
        rs = [r for r in res if r["label"] == label]
        for name, agg in (("mean", lambda xs: sum(xs) / len(xs)), ("worst", None)):
            def pick(xs, higher_is_better=True):
                xs = [x for x in xs if x == x]
                if not xs:
                    return float("nan")
                return agg(xs) if agg else (min(xs) if higher_is_better else max(xs))
            line = "%-24s %-12s %6s %5s %6.4f %6.4f " % (label[-24:], name, "", "", pick([r["auc"] for r in rs]), pick([r["p_at_k"] for r in rs]))
            line += " ".join("%6.2f" % pick([r["recall"][f] for r in rs if f in r["recall"]]) for f in fams)
            line += "  %-18s %5.3f %7s" % ("", pick([r["lookalike_share"] for r in rs], False), "")
            if loo_fams:
                line += "             " + " ".join("%6.2f" % pick([r["loo"][f] for r in rs if f in r.get("loo", {})]) for f in loo_fams)
            print(line)


def tag_table(path, base=None):
    def load_rows(p):
        res = [json.loads(l) for l in open(p) if l.strip()]
        missing = [r["world"] for r in res if "tags" not in r]
        if missing:
            sys.exit("%s: rows without per-tag counts (made by a robust-metrics.py before --tags; "
                     "make them again with --row): %s" % (p, " ".join(missing)))
        return res
    res = load_rows(path)
    ref = load_rows(base) if base else []
    if not res:
        print("no results")
        return
    tags = sorted({t for r in res + ref for t in r["tags"]})
    def stats(rs, t):
        if not rs:
            return None
        v = [r["tags"].get(t, [0, 0, 0, 0]) for r in rs]
        r75 = [x[3] if len(x) > 3 else float("nan") for x in v]
        return (sum(x[0] for x in v) / len(v), sum(x[1] for x in v) / len(v), max(x[1] for x in v),
                sum(x[2] for x in v) / len(v), max(x[2] for x in v), sum(r75) / len(v), max(r75))
    print("per look-alike tag (innocents): accounts, in the top K, among the first K/10 innocents (the recall_fp budget), "
          "and ranked above the fraud account at recall 0.75 (r75: the one of the three that other innocents leaving the top "
          "cannot raise -- judge tags by it); "
          "mean and worst (largest) over %d rows%s" % (len(res), " vs %s (%d rows)" % (base, len(ref)) if base else ""))
    head = "%-22s %7s %7s %6s %7s %6s %6s %6s" % ("tag", "accts", "topK", "worst", "budget", "worst", "r75", "worst")
    if base:
        head += "   | base: %6s %6s %7s %6s %6s %6s | %7s %7s %7s" % ("topK", "worst", "budget", "worst", "r75", "worst", "d topK", "d budg", "d r75")
    print(head)
    for t in tags:
        a, b = stats(res, t), stats(ref, t)
        line = "%-22s %7.1f %7.1f %6d %7.1f %6d %6.1f %6.0f" % ((t[:22],) + a)
        if base:
            line += "   |       %6.1f %6d %7.1f %6d %6.1f %6.0f | %+7.1f %+7.1f %+7.1f" % (b[1:] + (a[1] - b[1], a[3] - b[3], a[5] - b[5]))
            if a[5] > b[5] + 1e-9 or a[6] > b[6] + 1e-9:
                line += "  MORE(r75)"
            elif any(x > y + 1e-9 for x, y in zip(a[1:5], b[1:5])):
                line += "  more(topK/budget only)"
        print(line)


def main(a):
    if a[:1] == ["--table"] and len(a) in (3, 5) and a[2] == "--tags" and (len(a) == 3 or a[3] == "--base"):
        tag_table(a[1], a[4] if len(a) == 5 else None)
    elif a[:1] == ["--table"] and len(a) in (2, 3) and a[2:] in ([], ["--fp"]):
        table(a[1], fp=a[2:] == ["--fp"])
    elif a[:1] == ["--top5"]:
        print("%.4f" % top5(a[1], a[2], a[3]))
    elif a[:1] == ["--row"]:
        store, truth = a[1], a[2]
        opts = dict(zip(a[3::2], a[4::2]))
        print(json.dumps(row(store, truth, opts["--label"], opts["--world"], float(opts["--seconds"]), json.loads(opts["--loo"]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
