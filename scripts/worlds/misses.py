#!/usr/bin/env python3
"""What a detected store missed and what it flagged by mistake, for one generated world.

  scripts/worlds/misses.py STORE SIMDIR [--family F] [--show N]
  scripts/worlds/misses.py --variants STORE SIMDIR [STORE SIMDIR ...]

STORE is a case store after `riskdesk detect`; SIMDIR holds truth.csv (and world.json, from
scripts/worlds/market.py). K = the number of fraud accounts; the order is the store's (score
descending, ties by account id). Prints, per attack group: its variant, its size and how many
of it reached the top K, with the median score and the risk types of the missed members; then
the innocent accounts in the top K by look-alike tag (count, share of the tag that is in the
top K) and the risk types that put them there. --variants pools several worlds: recall@K
per family and per variant value (e.g. ato entry=hijack), and innocents in the top K per tag.
"""
import collections, csv, json, os, sqlite3, sys


def ranked(store, sim):
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    sc = {r[0]: r[1:] for r in db.execute("SELECT account_id, score, risk_type FROM scores")}
    truth = list(csv.DictReader(open(os.path.join(sim, "truth.csv"), newline="")))
    truth.sort(key=lambda r: (-sc.get(r["account_id"], (0.0,))[0], r["account_id"]))
    k = sum(1 for r in truth if r["label"] == "fraud")
    groups = json.load(open(os.path.join(sim, "world.json"))).get("groups", {})
    return truth, k, sc, groups


def variants(pairs):
    hit, tot = collections.Counter(), collections.Counter()
    fp_tag, fp_type, n_fp, n_k = collections.Counter(), collections.Counter(), 0, 0
    for store, sim in pairs:
        truth, k, sc, groups = ranked(store, sim)
        n_k += k
        for i, r in enumerate(truth):
            if r["label"] == "fraud":
                keys = [(r["attack"], "all", "")] + [(r["attack"], a, str(v)) for a, v in groups.get(r["group"], {}).items()
                                                     if a not in ("size", "budget", "participation", "campaigns", "drops", "items", "cover", "coverage", "period_s", "template", "ips", "p_refund", "window_min")]
                g = groups.get(r["group"], {})
                if "period_s" in g:
                    keys.append((r["attack"], "period", "<5s" if g["period_s"] < 5 else ("5-30s" if g["period_s"] < 30 else ">=30s")))
                if "p_refund" in g:
                    keys.append((r["attack"], "p_refund", "<0.7" if g["p_refund"] < 0.7 else ">=0.7"))
                if "window_min" in g:
                    keys.append((r["attack"], "window", "<=10min" if g["window_min"] <= 10 else ("15-30min" if g["window_min"] <= 30 else ">=1h")))
                if "participation" in g:
                    keys.append((r["attack"], "participation", "<0.5" if g["participation"] < 0.5 else ">=0.5"))
                for key in keys:
                    tot[key] += 1
                    if i < k:
                        hit[key] += 1
            elif i < k:
                n_fp += 1
                fp_type[sc.get(r["account_id"], (0, None))[1] or "-"] += 1
                for t in r["lookalike"].split("|"):
                    fp_tag[t or "(none)"] += 1
    print("%d worlds, K summed %d, innocents in the top K %d (%.1f%%)" % (len(pairs), n_k, n_fp, 100.0 * n_fp / n_k))
    for key in sorted(tot):
        print("  %-13s %-14s %-14s %5d/%-5d %.2f" % (key[0], key[1], key[2], hit[key], tot[key], hit[key] / tot[key]))
    print("innocents in the top K by risk type: %s" % dict(fp_type.most_common()))
    print("innocents in the top K by tag: %s" % dict(fp_tag.most_common()))


def main(a):
    if a[:1] == ["--variants"]:
        return variants(list(zip(a[1::2], a[2::2])))
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
