#!/usr/bin/env python3
"""What a detected store missed and what it flagged by mistake, for one generated world.

  scripts/worlds/misses.py STORE SIMDIR [--family F] [--show N]

STORE is a case store after `riskdesk detect`; SIMDIR holds truth.csv (and world.json, from
scripts/worlds/market.py). K = the number of fraud accounts; the order is the store's (score
descending, ties by account id). Prints, per attack group: its variant, its size and how many
of it reached the top K, with the median score and the risk types of the missed members; then
the innocent accounts in the top K by look-alike tag (count, share of the tag that is in the
top K) and the risk types that put them there.
"""
import collections, csv, json, os, sqlite3, sys


def main(a):
    if len(a) < 2:
        sys.exit(__doc__)
    store, sim = a[0], a[1]
    only = a[a.index("--family") + 1] if "--family" in a else None
    show = int(a[a.index("--show") + 1]) if "--show" in a else 3
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    sc = {r[0]: r[1:] for r in db.execute("SELECT account_id, score, risk_type, reasons FROM scores")}
    truth = list(csv.DictReader(open(os.path.join(sim, "truth.csv"), newline="")))
    groups = {}
    wj = os.path.join(sim, "world.json")
    if os.path.exists(wj):
        groups = json.load(open(wj)).get("groups", {})
    truth.sort(key=lambda r: (-sc.get(r["account_id"], (0.0,))[0], r["account_id"]))
    k = sum(1 for r in truth if r["label"] == "fraud")
    rank = {r["account_id"]: i for i, r in enumerate(truth)}
    print("K = %d of %d accounts; score at K: %.4f" % (k, len(truth), sc.get(truth[k - 1]["account_id"], (0.0,))[0]))
    by_group = collections.defaultdict(list)
    for r in truth:
        if r["label"] == "fraud":
            by_group[(r["attack"], r["group"])].append(r)
    print("\n== attack groups (hit = in the top K)")
    for (fam, gid), rs in sorted(by_group.items()):
        if only and fam != only:
            continue
        hit = sum(1 for r in rs if rank[r["account_id"]] < k)
        missed = [r for r in rs if rank[r["account_id"]] >= k]
        types = collections.Counter((sc.get(r["account_id"], (0, None))[1] or "-") for r in missed)
        ms = sorted(sc.get(r["account_id"], (0.0,))[0] for r in missed)
        line = "%-13s %-8s %3d/%-3d" % (fam, gid, hit, len(rs))
        if missed:
            line += "  missed: median score %.3f, as %s" % (ms[len(ms) // 2], dict(types.most_common(3)))
        print(line + "  " + json.dumps(groups.get(gid, {}), sort_keys=True))
        for r in missed[:show] if missed and show else []:
            s = sc.get(r["account_id"], (0.0, None, ""))
            print("      %s rank %d score %.3f %s: %s" % (r["account_id"], rank[r["account_id"]], s[0], s[1] or "-", (s[2] or "")[:140]))
    print("\n== innocent accounts in the top K, by look-alike tag")
    tag_all = collections.Counter(t for r in truth if r["label"] == "legit" for t in r["lookalike"].split("|") if t)
    fp = [r for r in truth[:k] if r["label"] == "legit"]
    print("%d innocent in the top K" % len(fp))
    tag_fp = collections.Counter(t for r in fp for t in r["lookalike"].split("|") if t)
    tag_fp["(none)"] = sum(1 for r in fp if not r["lookalike"])
    for t, c in tag_fp.most_common():
        types = collections.Counter((sc.get(r["account_id"], (0, None))[1] or "-") for r in fp if t in r["lookalike"].split("|") or (t == "(none)" and not r["lookalike"]))
        print("  %-18s %4d  (%.1f%% of the tag)  as %s" % (t, c, 100.0 * c / tag_all[t] if tag_all.get(t) else 0, dict(types.most_common(4))))
    types = collections.Counter((sc.get(r["account_id"], (0, None))[1] or "-") for r in fp)
    print("  by risk type: %s" % dict(types.most_common()))
    for r in fp[:show]:
        s = sc.get(r["account_id"], (0.0, None, ""))
        print("      %s rank %d score %.3f %s [%s]: %s" % (r["account_id"], rank[r["account_id"]], s[0], s[1] or "-", r["lookalike"], (s[2] or "")[:140]))


if __name__ == "__main__":
    main(sys.argv[1:])
