"""The command line both world generators take (market.py, bazaar.py), so their flags, checks and
messages stay one: --out DIR --accounts N --days D --seed S --start YYYY-MM-DD --junk N --quiet."""
import argparse, calendar, os, sys, time


def parse(name, doc, junk_default, junk_help, extra=None):
    """Parses argv for generator `name`; returns (args, start in ms since the epoch), the output
    folder made. Exits with a message naming the flag on a bad value. `extra(parser)` adds a
    generator's own flags."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--accounts", type=int, default=20000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2026-10-01")
    ap.add_argument("--junk", type=int, default=junk_default, help=junk_help)
    ap.add_argument("--quiet", action="store_true")
    if extra:
        extra(ap)
    a = ap.parse_args()
    if a.accounts < 2000:
        sys.exit("%s: --accounts must be at least 2000" % name)
    if a.days < 7:
        sys.exit("%s: --days must be at least 7" % name)
    try:
        start = calendar.timegm(time.strptime(a.start, "%Y-%m-%d")) * 1000
    except ValueError:
        sys.exit("%s: --start %r: expected YYYY-MM-DD" % (name, a.start))
    os.makedirs(a.out, exist_ok=True)
    return a, start
