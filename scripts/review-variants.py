#!/usr/bin/env python3
"""Variants of the YelpChi review graph (`metadata.gz`: user product rating label date, rating
and date blanked) with columns that say nothing about the labels: ratings and/or dates drawn
from a seeded generator. What a ranking does with them shows whether it mistakes chance for
evidence (docs/benchmarks.md, "rev11").

    scripts/review-variants.py metadata.gz r|d|rd SEED OUT.txt
    # then import with queries/mappings/yelpchi.toml plus, in [fields]:
    #   rating = "rating"                                                   (variants r, rd)
    #   ts = { column = "date", format = "%Y-%m-%d", timezone = "UTC" }     (variants d, rd; drop the constant ts)
"""
import gzip, random, sys

src, mode, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
with gzip.open(src, 'rt') as f, open(out, 'w') as o:
    for line in f:
        u, p, r, label, d = line.split()
        if 'r' in mode:   # a typical review site's star mix
            r = str(rng.choices([1, 2, 3, 4, 5], [10, 9, 14, 31, 36])[0])
        if 'd' in mode:   # uniform over three years
            day = rng.randrange(0, 3 * 365)
            d = '%04d-%02d-%02d' % (2009 + day // 365, 1 + (day % 365) // 31 % 12, 1 + day % 28)
        o.write(f"{u} {p} {r} {label} {d}\n")
