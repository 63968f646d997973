#!/usr/bin/env python3
"""market.py: a second, independent marketplace generator for riskdesk's robustness benchmark.

  scripts/worlds/market.py --out DIR [--accounts N] [--days D] [--seed S] [--start YYYY-MM-DD]

Writes DIR/accounts.csv, DIR/items.jsonl, DIR/events.csv (the import contract of
docs/data-contract.md, messy where the contract allows it), DIR/truth.csv
(account_id,label,attack,group,lookalike) and DIR/world.json (the parameters drawn).
Everything comes from --seed: the same seed writes the same bytes. Standard library only.
The design (populations, attacks, variants, look-alikes): docs/robustness.md,
"The second generator".
"""
import bisect, json, math, os, random, shutil, sys, tempfile, time

import worldcli

S, M, H, D = 1000, 60000, 3600000, 86400000

COUNTRIES = {  # code: (utc offset hours, currency, neighbours)
    "DE": (1, "EUR", ["AT", "PL", "NL", "FR", "CH"]), "FR": (1, "EUR", ["BE", "ES", "DE", "IT", "CH"]),
    "GB": (0, "GBP", ["IE", "FR", "NL", "ES", "DE"]), "US": (-5, "USD", ["CA", "MX", "GB", "DE", "IN"]),
    "BR": (-3, "BRL", ["AR", "PT", "US", "CL", "CO"]), "ID": (7, "IDR", ["MY", "SG", "PH", "TH", "VN"]),
    "PL": (1, "PLN", ["DE", "CZ", "UA", "LT", "GB"]), "ES": (1, "EUR", ["PT", "FR", "IT", "GB", "MA"]),
}
FAR = ["RU", "NG", "VN", "CN", "UA", "RO", "IN", "PK", "BD", "TR", "KZ", "LT"]
CATEGORIES = ["fashion", "electronics", "home", "beauty", "toys", "sports", "books", "garden", "auto", "grocery",
              "jewelry", "collectibles", "pets", "music", "gift_cards"]
HOUR_W = [1.2, 0.7, 0.4, 0.25, 0.2, 0.3, 0.8, 1.6, 2.3, 2.7, 3.0, 3.2, 3.6, 3.4, 3.1, 3.1, 3.3, 3.7, 4.3, 5.0, 5.6, 5.3, 4.0, 2.3]
SHORT = ["Great!", "ok", "good", "Love it", "👍", "5 stars", "perfect", "as described", "fast shipping", "nice", "Super",
         "great seller", "Top!", "good quality", "thanks", "❤️", "recommended", "ok.", "Great product"]
LONG = ["Took a while to arrive but the quality is better than I expected, would buy again.",
        "Size runs small, order one up. Otherwise fine.", "The colour is a bit different from the photo, still happy",
        "Box was damaged, item OK. Seller answered quickly.", 'Works as advertised, battery lasts about 2 days, "fast charge" is not that fast',
        "My kid loves it!!! Bought a second one for her cousin", "Not bad for the price, stitching, zipper and seams could be better",
        "Third time ordering from this shop.\nAlways packed well.", "Il prodotto è arrivato in tempo, ottimo 😊",
        "Sehr gute Qualität, schnelle Lieferung", "meh. it's fine I guess", "Arrived broken, seller sent a replacement, 4 stars for service"]
QUESTIONS = ["Hi, is this available in blue?", "When will you ship my order?", "Does it fit a 13\" laptop?",
             "Can you combine shipping, I ordered 2 things", "hello, tracking says delivered but nothing here", "Is the warranty valid in my country?",
             "Do you have size M?", "Thanks, received it, all good 🙂"]
SEARCHES = ["iphone case", "sneakers 43", "air fryer", "lego", "gift for mom", "usb-c cable 2m", "yoga mat", "dress, red",
            "ps5", "vitamin d", "\"limited edition\"", "coffee beans", "phone tripod", "winter jacket", "kids books"]
REF_REASONS = ["damaged", "not_as_described", "wrong_item", "changed_mind", "wrong_size", "late_delivery"]
SPAM_TEMPLATES = ["Congrats! You won a {p} voucher, claim at {u}", "Earn {n}/day from home, message me on t.me/{h}",
                  "I can boost your shop sales 10x, cheap! {u}", "Hot singles near you 💋 {u}", "Your account will be suspended, verify now: {u}",
                  "Free followers & likes, visit {u}", "crypto signals 💰 {n}% guaranteed - join {u}", "Cheap brand bags replica, whatsapp +{n}"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "gmx.de", "web.de", "icloud.com", "hotmail.com", "proton.me", "mail.ru", "yandex.ru"]
THROWAWAY = ["tempmail.io", "mailbox.in.ua", "guerrilla.biz", "sharklasers.com", "mail7.xyz", "inboxkitten.com"]
FIRST = ["anna", "max", "lena", "tom", "sara", "jan", "mia", "paul", "lisa", "felix", "emma", "noah", "lea", "ben", "julia",
         "luca", "sofia", "david", "nina", "omar", "yuki", "ravi", "ana", "joao", "putri", "budi", "kasia", "piotr", "marie", "leo"]


def esc(s):
    if not s:
        return ""
    if ',' in s or '"' in s or '\n' in s or '\r' in s:
        return '"' + s.replace('"', '""') + '"'
    return s


class Acc:
    __slots__ = ("id", "kind", "created", "country", "email", "phone", "label", "attack", "group", "tags",
                 "devs", "home_ip", "carrier", "v6", "office", "addr", "cards", "rate", "tz", "mobile_p", "buy_p",
                 "review_p", "short_p", "views", "hh", "travel", "newdev", "orders", "cur", "extra_ok")

    def __init__(self, aid, kind, created, country):
        self.id, self.kind, self.created, self.country = aid, kind, created, country
        self.email = self.phone = ""
        self.label, self.attack, self.group, self.tags = "legit", "", "", set()
        self.devs, self.home_ip, self.carrier, self.v6, self.office = [], "", None, "", None
        self.addr, self.cards, self.rate, self.tz = [], [], 0.0, 0
        self.mobile_p = self.buy_p = self.review_p = self.short_p = 0.0
        self.views, self.hh, self.travel, self.newdev, self.orders, self.cur, self.extra_ok = 6, None, None, None, 0, "EUR", True


class World:
    def __init__(self, n, days, seed, start, out):
        self.r = r = random.Random(seed)
        self.n, self.days, self.seed, self.out = n, days, seed, out
        self.t0 = start
        self.t1 = start + days * D
        self.used = set()
        self.ev = 0
        self.order_n = 0
        self.tmp = tempfile.mkdtemp(prefix="market-", dir=out)
        self.buckets = {}
        self.buffered = 0
        self.home = r.choice(sorted(COUNTRIES))
        self.tz, self.cur, self.neigh = COUNTRIES[self.home]
        self.p = {}  # everything drawn, written to world.json
        self.accs = []
        self.by_id = {}
        self.mega_orders = {}
        self.groups = {}   # group id -> the variant drawn for it (world.json)
        self.shows_seen = {}
        # per-day weights (weekly cycle + a payday / campaign bump on a random day)
        wk = [1.0, 0.95, 0.95, 1.0, 1.1, 1.3 + 0.3 * r.random(), 1.2 + 0.3 * r.random()]
        camp = r.randrange(days)
        self.day_w = []
        for d in range(days):
            dow = time.gmtime((start + d * D) / 1000).tm_wday
            self.day_w.append(wk[dow] * (1.8 if d == camp else 1.0))
        self.day_cum = self._cum(self.day_w)
        self.hour_cum = self._cum(HOUR_W)
        self.p["home_country"], self.p["campaign_day"] = self.home, camp

    # ---------- small helpers
    @staticmethod
    def _cum(w):
        c, s = [], 0.0
        for x in w:
            s += x
            c.append(s)
        return c

    def pick(self, cum, items=None):
        i = bisect.bisect_right(cum, self.r.random() * cum[-1])
        i = min(i, len(cum) - 1)
        return items[i] if items is not None else i

    def uid(self, prefix, bits=36):
        while True:
            v = prefix + format(self.r.getrandbits(bits), "x")
            if v not in self.used:
                self.used.add(v)
                return v

    def ipv4(self, a=None, b=None):
        r = self.r
        return "%d.%d.%d.%d" % (a if a is not None else r.choice([31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 109, 176, 178, 188, 212, 213, 217]),
                                b if b is not None else r.randrange(256), r.randrange(256), r.randrange(1, 255))

    def dc_block(self):
        r = self.r
        return "%d.%d.%d." % (r.choice([5, 23, 45, 104, 138, 139, 143, 159, 165, 167, 185, 192, 193, 194, 198, 209]), r.randrange(256), r.randrange(256))

    def v6(self):
        r = self.r
        return "2a0%x:%x:%x:%x" % (r.randrange(16), r.randrange(65536), r.randrange(65536), r.randrange(65536))

    def human_ts(self, lo=None, hi=None, office=False, tz=None):
        """A moment a person is online: weekly and daily cycles in the person's local time."""
        r = self.r
        lo = self.t0 if lo is None else max(lo, self.t0)
        hi = self.t1 if hi is None else min(hi, self.t1)
        if hi <= lo:
            return None
        tz = self.tz if tz is None else tz
        for _ in range(12):
            d = self.pick(self.day_cum)
            if office:
                if time.gmtime((self.t0 + d * D) / 1000).tm_wday >= 5:
                    continue
                h = 9 + r.random() * 9
            else:
                h = self.pick(self.hour_cum) + r.random()
            t = self.t0 + d * D + int((h - tz) * H)
            if lo <= t < hi:
                return t
        return lo + int(r.random() * (hi - lo))

    # ---------- output
    def emit(self, ts, a, typ, dev="", ip="", ctry="", sess="", item="", seller="", order="", qty="", amount="", cur="",
             coupon="", pay="", addr="", target="", rating="", status="", text="", chan=""):
        if ts < self.t0 or ts >= self.t1:
            return
        r = self.r
        x = r.random()
        if x < 0.004:
            dev = ""          # fingerprinting failed
        elif x < 0.02:
            ctry = ""         # geo lookup failed
        self.ev += 1
        line = "%d\t%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s" % (
            ts, a, typ, dev, ip, ctry, sess, item, seller, order, qty, amount, cur, coupon, pay, addr, target, rating, status,
            esc(text), chan)
        if "\n" in text:
            line = line.replace("\n", "\x1f")   # one record per line in the day buckets
        day = (ts - self.t0) // D
        b = self.buckets.get(day)
        if b is None:
            b = self.buckets[day] = []
        b.append(line)
        self.buffered += 1
        if self.buffered >= 400000:
            self.flush()

    def flush(self):
        for day, lines in self.buckets.items():
            with open(os.path.join(self.tmp, "d%03d" % day), "a", encoding="utf-8") as f:
                f.write("\n".join(lines))
                f.write("\n")
        self.buckets = {}
        self.buffered = 0

    def fmt_ts(self, ts, style):
        if style < 0.72:
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1000)) + ".%03dZ" % (ts % 1000)
        if style < 0.92:
            return str(ts)
        off = self.tz if self.tz else 2
        t = ts + off * H
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1000)) + "%s%02d:00" % ("+" if off >= 0 else "-", abs(off))

    def write_events(self, junk):
        self.flush()
        r = self.r
        cols = "event_id,ts,account_id,type,device_id,ip,country,session_id,item_id,seller_id,order_id,quantity,amount,currency,coupon_id,payment_id,address_id,target_id,rating,status,text,channel"
        n_out = dup = late = 0
        eid = 0
        with open(os.path.join(self.out, "events.csv"), "w", encoding="utf-8", newline="") as f:
            f.write(cols + "\n")
            held = []
            for day in range(self.days):
                p = os.path.join(self.tmp, "d%03d" % day)
                if not os.path.exists(p):
                    continue
                with open(p, encoding="utf-8") as g:
                    lines = g.read().split("\n")
                lines.pop()
                lines.sort(key=lambda l: int(l[:l.index("\t")]))
                out = []
                for l in lines:
                    k = l.index("\t")
                    ts = int(l[:k])
                    eid += 1
                    row = "e%x-%d,%s,%s\n" % (self.seed & 0xffff, eid, self.fmt_ts(ts, r.random()), l[k + 1:].replace("\x1f", "\n"))
                    x = r.random()
                    if x < 0.003:      # delivered twice, the copy a little later
                        held.append((len(out) + r.randrange(50, 5000), row))
                        dup += 1
                    if x > 0.996:      # a late row
                        held.append((len(out) + r.randrange(100, 20000), row))
                        late += 1
                        continue
                    out.append(row)
                held.sort(key=lambda h: h[0])
                merged, hi = [], 0
                for i, row in enumerate(out):
                    while hi < len(held) and held[hi][0] <= i:
                        merged.append(held[hi][1])
                        hi += 1
                    merged.append(row)
                held = [(0, h[1]) for h in held[hi:]]
                f.write("".join(merged))
                n_out += len(merged)
                os.remove(p)
            f.write("".join(h[1] for h in held))
            n_out += len(held)
            # rows meant to be rejected: the messy tail a real export has
            for i in range(junk):
                row = ["ej-%d" % i, str(self.t0 + i * 1000), self.accs[i].id, "view"] + [""] * 18
                kind = i % 4
                if kind == 0:
                    row[1] = "not-a-time"
                elif kind == 1:
                    row[2] = " "
                elif kind == 2:
                    row[3], row[10], row[11] = "order", "o-junk-%d" % i, "two"
                else:
                    row[0] = ""
                f.write(",".join(row) + "\n")
        shutil.rmtree(self.tmp)
        return n_out, dup, late

    # ---------- population
    def new_acc(self, kind, created, country=None, prefix=None):
        r = self.r
        while True:
            aid = str(r.randrange(10 ** 8, 10 ** 11)) if r.random() < 0.7 else "u_" + format(r.getrandbits(40), "x")
            if aid not in self.used:
                self.used.add(aid)
                break
        a = Acc(aid, kind, created, country or self.home)
        a.cur = COUNTRIES.get(a.country, (0, self.cur))[1] if a.country in COUNTRIES else self.cur
        self.accs.append(a)
        self.by_id[aid] = a
        return a

    def person(self, a, style="normal"):
        """Contact data of a person; attackers' styles differ."""
        r = self.r
        nm = r.choice(FIRST)
        if style == "pattern":
            a.email = "%s.%s%d@%s" % (nm, r.choice(FIRST), r.randrange(1000), r.choice(DOMAINS[:4]))
        elif style == "throwaway":
            a.email = "%s%x@%s" % (nm[:3], r.getrandbits(20), r.choice(THROWAWAY))
        else:
            a.email = "%s%s%s@%s" % (nm, r.choice(["", ".", "_"]), r.choice([r.choice(FIRST), str(r.randrange(100)), str(1960 + r.randrange(50))]), r.choice(DOMAINS))
        if r.random() < 0.08:
            a.email = a.email.upper() if r.random() < 0.5 else " " + a.email
        if r.random() < 0.85:
            a.phone = "+%d%09d" % (r.choice([49, 33, 44, 1, 55, 62, 48, 34]), r.randrange(10 ** 9))
        if r.random() < 0.05:
            a.email = ""

    def build(self):
        r, n, p = self.r, self.n, self.p
        # carriers: NAT pools shared by thousands of phones
        self.carriers = []
        for c in range(3):
            pool = [self.ipv4() for _ in range(max(6, n // r.randrange(800, 3000)))]
            self.carriers.append(pool)
        # offices and campuses
        n_off = max(3, n // r.randrange(250, 600))
        self.offices = []
        for _ in range(n_off):
            blk = self.ipv4().rsplit(".", 1)[0] + "."
            self.offices.append([blk + str(r.randrange(1, 255)) for _ in range(r.randrange(1, 4))])
        n_campus = r.randrange(1, 4)
        self.campuses = [[self.ipv4().rsplit(".", 1)[0] + "." + str(r.randrange(1, 255)) for _ in range(r.randrange(20, 80))] for _ in range(n_campus)]
        self.lockers = [self.uid("ad_") for _ in range(max(3, n // 2000))]
        self.bad_zone = set()
        p.update(carriers=[len(c) for c in self.carriers], offices=n_off, campuses=n_campus)

        # sellers and creators
        n_sell = max(20, int(n * r.uniform(0.02, 0.045)))
        n_creat = max(5, int(n * r.uniform(0.004, 0.012)))
        mega_share = r.uniform(0.35, 0.6)
        alpha = r.uniform(0.9, 1.5)
        self.sellers = []
        for i in range(n_sell):
            a = self.new_acc("seller", self.t0 - r.randrange(30, 2500) * D)
            self.person(a)
            a.devs = [(self.uid("d"), "desktop"), (self.uid("d"), "phone")]
            a.home_ip = r.choice(r.choice(self.offices)) if r.random() < 0.3 else self.ipv4()
            a.rate = 1.0 / (i + 1) ** alpha if i else 0.0
            self.sellers.append(a)
        mega = self.sellers[0]
        rest = sum(s.rate for s in self.sellers[1:])
        mega.rate = rest * mega_share / (1 - mega_share)
        mega.tags.add("mega_seller")
        self.mega = mega
        self.creators = []
        for i in range(n_creat):
            a = self.new_acc("creator", self.t0 - r.randrange(30, 1500) * D)
            self.person(a)
            a.devs = [(self.uid("d"), "phone")]
            a.home_ip = self.ipv4()
            a.rate = r.paretovariate(1.3)
            self.creators.append(a)
        p.update(sellers=n_sell, creators=n_creat, mega_share=round(mega_share, 3), seller_alpha=round(alpha, 3))

        # catalogue
        n_items = int(n * r.uniform(0.2, 0.5))
        self.items, w = [], []
        tot = sum(s.rate for s in self.sellers)
        per = [max(1, int(n_items * (s.rate / tot) ** 0.8 * 3)) for s in self.sellers]
        scale = n_items / sum(per)
        self.item_seller, self.item_price, self.item_cat, self.item_cur = {}, {}, {}, {}
        for s, k in zip(self.sellers, per):
            k = max(1, int(k * scale))
            cats = r.sample(CATEGORIES[:-1], r.randrange(1, 4))
            for j in range(k):
                iid = self.uid("i", 32)
                cat = r.choice(cats)
                price = round(math.exp(r.gauss(3.2, 1.0)), 2)
                self.items.append(iid)
                pop = r.paretovariate(1.2)
                w.append(s.rate / k * pop)
                self.item_seller[iid], self.item_price[iid], self.item_cat[iid] = s.id, price, cat
                self.item_cur[iid] = self.cur if r.random() < 0.95 else r.choice(["USD", "EUR", "GBP"])
        # gift cards: sold by a few sellers, the takeover's favourite
        self.giftcards = []
        for s in r.sample(self.sellers[1:], min(3, len(self.sellers) - 1)) + [mega]:
            for v in (25, 50, 100, 200):
                iid = self.uid("i", 32)
                self.items.append(iid)
                w.append(s.rate / 50)
                self.item_seller[iid], self.item_price[iid], self.item_cat[iid], self.item_cur[iid] = s.id, float(v), "gift_cards", self.cur
                self.giftcards.append(iid)
        self.item_cum = self._cum(w)
        self.item_w = w
        # limited drops
        n_drops = max(4, int(n / 20000 * r.randrange(8, 30)))
        self.drops = []
        for _ in range(n_drops):
            s = r.choice(self.sellers[:max(3, n_sell // 5)])
            iid = self.uid("i", 32)
            self.items.append(iid)
            self.item_cum.append(self.item_cum[-1] + 1e-9)
            self.item_w.append(1e-9)
            at = self.t0 + r.randrange(1, self.days - 1) * D + int((r.choice([10, 12, 18, 19, 20]) - self.tz) * H)
            self.item_seller[iid], self.item_price[iid], self.item_cat[iid], self.item_cur[iid] = s.id, round(r.uniform(90, 400), 2), r.choice(["fashion", "collectibles", "electronics", "toys"]), self.cur
            self.drops.append((iid, at, r.randrange(20, 300)))
        p.update(items=len(self.items), drops=n_drops)
        self.coupons_public = ["AUTUMN15", "FREESHIP", "APP5", "FLASH20"]
        self.seller_coupon = {s.id: "S%s-10" % s.id[-4:].upper() for s in self.sellers if r.random() < 0.3}
        self.by_item_seller = {}
        for iid in self.items:
            self.by_item_seller.setdefault(self.item_seller[iid], []).append(iid)

    def rnd_item(self):
        return self.items[self.pick(self.item_cum)]

    def make_buyer(self, created=None, kind="buyer", prefix=None):
        r = self.r
        if created is None:
            created = self.t0 - int(r.expovariate(1 / 500.0) * D) - r.randrange(D) if r.random() < 0.9 else self.human_ts()
        ctry = self.home if r.random() < 0.88 else r.choice(self.neigh)
        a = self.new_acc(kind, created, ctry, prefix)
        self.person(a)
        nd = r.choices([1, 2, 3], [0.55, 0.33, 0.12])[0]
        a.devs = [(self.uid("d"), "phone")] + [(self.uid("d"), r.choice(["desktop", "tablet", "desktop"])) for _ in range(nd - 1)]
        a.home_ip = self.ipv4()
        a.carrier = r.randrange(3)
        a.v6 = self.v6() if r.random() < 0.3 else ""
        a.mobile_p = r.uniform(0.1, 0.95)
        a.addr = [self.uid("ad_")]
        if r.random() < 0.2:
            a.addr.append(self.uid("ad_"))
        a.cards = [self.uid("pm_") for _ in range(r.choices([1, 2, 3], [0.6, 0.3, 0.1])[0])]
        a.rate = min(120.0, math.exp(r.gauss(1.6, 1.0)))
        if r.random() < 0.12:
            a.rate = r.uniform(0, 1.5)   # dormant
        a.buy_p = r.uniform(0.04, 0.35)
        a.review_p = r.betavariate(1.2, 3.0)
        a.short_p = r.uniform(0.2, 0.9)
        a.views = r.randrange(3, 18)
        a.tz = self.tz if ctry == self.home else COUNTRIES.get(ctry, (self.tz,))[0]
        return a

    def populate(self):
        r, n, p = self.r, self.n, self.p
        n_buyers = n - len(self.accs)
        self.buyers = [self.make_buyer() for _ in range(n_buyers)]
        B = self.buyers
        # households: shared address, home ip, often a card, sometimes a family tablet
        hh_share = r.uniform(0.15, 0.4)
        i, hh_n = 0, 0
        order = list(range(len(B)))
        r.shuffle(order)
        k_members = int(len(B) * hh_share)
        while i < k_members:
            size = min(r.choices([2, 3, 4, 5, 6], [0.45, 0.25, 0.18, 0.08, 0.04])[0], k_members - i)
            if size < 2:
                break
            mem = [B[order[j]] for j in range(i, i + size)]
            i += size
            hh_n += 1
            head = mem[0]
            card = head.cards[0] if r.random() < 0.45 else None
            tablet = (self.uid("d"), "tablet") if r.random() < 0.35 else None
            for m in mem:
                m.hh = hh_n
                m.addr[0] = head.addr[0]
                m.home_ip = head.home_ip
                m.country = head.country
                m.tz = head.tz
                m.tags.add("household")
                if card and m is not head and r.random() < 0.7:
                    m.cards.append(card)
                if tablet:
                    m.devs.append(tablet)
                    m.tags.add("family_tablet")
            if r.random() < 0.1:   # a shared family laptop logged in as several people
                lap = (self.uid("d"), "desktop")
                for m in mem:
                    m.devs.append(lap)
        # office workers and students
        for a in B:
            x = r.random()
            if x < 0.15:
                a.office = r.choice(self.offices)
                a.tags.add("office")
            elif x < 0.15 + r.uniform(0.02, 0.06):
                a.office = r.choice(self.campuses)
                a.tags.add("campus")
                if r.random() < 0.5:   # freshers: accounts opened in the first days of term
                    a.created = self.t0 + int(r.random() * 5 * D)
                    a.tags.add("campus_newbie")
            if a.mobile_p > 0.85 and not a.hh:
                a.tags.add("carrier_nat")
        # travel, new phones, forgotten passwords, movers: change that is not a takeover
        for a in B:
            x = r.random()
            if x < 0.05:
                s = self.t0 + r.randrange(self.days) * D
                a.travel = (s, s + r.randrange(2, 8) * D, r.choice(FAR + self.neigh), self.ipv4())
                a.tags.add("traveller")
            elif x < 0.08:
                a.newdev = (self.t0 + r.randrange(self.days) * D, self.uid("d"))
                a.tags.add("new_phone")
        for c in range(max(3, int(len(B) * r.uniform(0.005, 0.02)))):   # a block of flats the courier never finds
            self.bad_zone.add(r.choice(B).addr[0])
        p.update(buyers=n_buyers, households=hh_n, household_share=round(hh_share, 3))

    # ---------- legit behaviour
    def ctx(self, a, t, office_ok=True):
        """(device, ip, country, channel) for a person at time t."""
        r = self.r
        if a.travel and a.travel[0] <= t < a.travel[1]:
            return a.devs[0][0], a.travel[3] if r.random() < 0.6 else self.ipv4(), a.travel[2], "ios"
        phone = a.devs[0][0]
        if a.newdev and t >= a.newdev[0]:
            phone = a.newdev[1]
        if a.office and office_ok and r.random() < 0.5:
            lt = (t + a.tz * H) % D
            if 8 * H < lt < 18 * H:
                return (a.devs[-1][0] if len(a.devs) > 1 and "office" in a.tags else phone), r.choice(a.office), a.country, "web"
        if r.random() < a.mobile_p:
            if a.v6 and r.random() < 0.6:
                return phone, "%s:%x:%x:%x:%x" % (a.v6, r.randrange(65536), r.randrange(65536), r.randrange(65536), r.randrange(65536)), a.country, "android"
            return phone, r.choice(self.carriers[a.carrier]), a.country, "android"
        dev = r.choice(a.devs)[0]
        return dev, a.home_ip, a.country, r.choice(["web", "ios", "android"])

    def order(self, a, t, item, dev, ip, ctry, sess="", qty=1, coupon="", addr=None, card=None, chan="", status_ok=True,
              review=True, refund_p=None):
        r = self.r
        self.order_n += 1
        oid = "o%d%03d" % (self.order_n, r.randrange(1000))
        price = self.item_price[item]
        amount = price * qty
        disc = 0.0
        if coupon:
            disc = round(amount * r.choice([0.05, 0.1, 0.15, 0.2]), 2)
        cur = self.item_cur[item]
        addr = addr or a.addr[0]
        card = card or (r.choice(a.cards) if a.cards else self.uid("pm_"))
        seller = self.item_seller[item]
        self.emit(t, a.id, "order", dev, ip, ctry, sess, item, seller, oid, str(qty), "%.2f" % (amount - disc), cur, coupon, "", addr, chan=chan)
        t2 = t + r.randrange(3, 90) * S
        if r.random() < 0.04 and len(a.cards) > 1:
            self.emit(t2, a.id, "payment", dev, ip, ctry, "", "", "", oid, "", "%.2f" % (amount - disc), cur, "", a.cards[-1], "", status="fail", chan=chan)
            t2 += r.randrange(10, 120) * S
        self.emit(t2, a.id, "payment", dev, ip, ctry, "", "", "", oid, "", "%.2f" % (amount - disc), cur, "", card, "", status="ok" if status_ok else "fail", chan=chan)
        if coupon:
            self.emit(t2 + 200, a.id, "coupon_redeem", dev, ip, ctry, "", "", "", oid, "", "%.2f" % disc, cur, coupon, chan=chan)
        a.orders += 1
        if seller == self.mega.id:
            self.mega_orders[a.id] = self.mega_orders.get(a.id, 0) + 1
        if not status_ok:
            return oid
        # the seller's shipping notice (templated, with a link): a broadcast look-alike for spam
        s = self.by_id[seller]
        if s.buy_p and r.random() < s.buy_p:
            self.emit(t2 + r.randrange(2, 40) * H, s.id, "message", s.devs[0][0], s.home_ip, s.country, target=a.id,
                      text="Your order %s has shipped! Track it: https://trk.example/%s" % (oid, oid[1:]), chan="web")
        if review and r.random() < a.review_p:
            tr = t + r.randrange(2, 14) * D + r.randrange(D)
            rating = r.choices([1, 2, 3, 4, 5], [0.05, 0.04, 0.08, 0.2, 0.63])[0]
            txt = "" if r.random() < 0.15 else (r.choice(SHORT) if r.random() < a.short_p else r.choice(LONG))
            d2, ip2, c2, ch = self.ctx(a, tr)
            self.emit(tr, a.id, "review", d2, ip2, c2, "", item, seller, oid, "", "", "", "", "", "", "", str(rating), "", txt, ch)
            if rating == 5 and len(txt) < 16:
                a.tags.add("short_5star")
        rp = refund_p if refund_p is not None else (0.035 + (0.12 if addr in self.bad_zone else 0.0))
        if r.random() < rp:
            tr = t + r.randrange(2, 20) * D
            if addr in self.bad_zone or r.random() < 0.12:
                reason, txt = "not_received", r.choice(["never arrived", "Tracking says delivered, nothing in mailbox", "not received", ""])
                if addr in self.bad_zone:
                    a.tags.add("bad_courier_zone")
            else:
                reason, txt = r.choice(REF_REASONS), r.choice(["", "broken on arrival", "too small", "not what the picture shows", "wrong colour, sent back"])
            if r.random() < 0.5:
                d2, ip2, c2, ch = self.ctx(a, tr)
            else:
                d2 = ip2 = c2 = ch = ""
            self.emit(tr, a.id, "refund", d2, ip2, c2, "", "", "", oid, "", "%.2f" % (amount - disc), cur, status=reason, text=txt, chan=ch)
        return oid

    def session(self, a, t, office_ok=True, buy_boost=1.0, coupon_ok=True):
        r = self.r
        dev, ip, ctry, ch = self.ctx(a, t, office_ok)
        sid = self.uid("s", 40) if r.random() < 0.97 else ""
        if r.random() < 0.22 or (a.newdev and a.newdev[0] <= t < a.newdev[0] + 3 * D):
            if r.random() < 0.04:
                self.emit(t, a.id, "login", dev, ip, ctry, status="fail", chan=ch)
                t += r.randrange(5, 60) * S
                if r.random() < 0.3:   # forgot it: the reset comes from the person's own device
                    self.emit(t, a.id, "password_reset", dev, ip, ctry, chan=ch)
                    a.tags.add("forgot_password")
                    t += r.randrange(60, 600) * S
            self.emit(t, a.id, "login", dev, ip, ctry, status="ok", chan=ch)
            t += r.randrange(2, 30) * S
        if r.random() < 0.3:
            self.emit(t, a.id, "search", dev, ip, ctry, sid, text=r.choice(SEARCHES), chan=ch)
            t += r.randrange(3, 30) * S
        k = max(1, int(r.expovariate(1.0 / a.views)))
        seen = []
        for _ in range(k):
            it = self.rnd_item() if not seen or r.random() < 0.6 else self.r.choice(self.by_item_seller[self.item_seller[seen[-1]]])
            seen.append(it)
            self.emit(t, a.id, "view", dev, ip, ctry, sid, it, self.item_seller[it], chan=ch)
            t += int(r.lognormvariate(3.3, 1.0) * S) + 500
        if r.random() < 0.04:
            s = self.item_seller[seen[0]]
            self.emit(t, a.id, "profile_view", dev, ip, ctry, sid, target=s, chan=ch)
            if r.random() < 0.3:
                self.emit(t + 3 * S, a.id, "follow", dev, ip, ctry, target=s, chan=ch)
        if r.random() < 0.03:
            s = self.item_seller[seen[-1]]
            self.emit(t + r.randrange(10, 300) * S, a.id, "message", dev, ip, ctry, target=s, text=r.choice(QUESTIONS), chan=ch)
        if r.random() < 0.25:
            it = r.choice(seen)
            self.emit(t, a.id, "add_to_cart", dev, ip, ctry, sid, it, self.item_seller[it], qty=str(r.choice([1, 1, 1, 2])), chan=ch)
            t += r.randrange(10, 200) * S
            if r.random() < min(0.9, a.buy_p * 2.5 * buy_boost):
                coupon = ""
                if coupon_ok:
                    if a.created > self.t0 - 7 * D and a.orders == 0 and r.random() < 0.65:
                        coupon = "WELCOME10"
                    elif r.random() < 0.08:
                        coupon = r.choice(self.coupons_public)
                    elif r.random() < 0.1 and self.item_seller[it] in self.seller_coupon:
                        coupon = self.seller_coupon[self.item_seller[it]]
                addr = a.addr[0] if len(a.addr) == 1 or r.random() < 0.8 else a.addr[1]
                if r.random() < 0.03:
                    addr = r.choice(self.lockers)
                    a.tags.add("parcel_locker")
                self.order(a, t, it, dev, ip, ctry, sid, qty=r.choice([1, 1, 1, 1, 2, 3]), coupon=coupon, addr=addr, chan=ch)
                t += r.randrange(30, 200) * S
        if r.random() < 0.08:
            self.emit(t, a.id, "logout", dev, ip, chan=ch)
        return t

    def life(self, a, rate=None, lo=None, hi=None, coupon_ok=True):
        """A person's sessions over the window."""
        r = self.r
        lo = max(lo or self.t0, a.created)
        hi = hi or self.t1
        if hi <= lo:
            return
        span = (hi - lo) / (self.t1 - self.t0)
        rate = a.rate if rate is None else rate
        k = int(rate * span) + (1 if r.random() < (rate * span) % 1 else 0)
        if a.created >= self.t0 and a.created < self.t1 and lo == a.created:
            dev, ip, ctry, ch = self.ctx(a, a.created, False)
            self.emit(a.created, a.id, "signup", dev, ip, ctry, chan=ch)
            self.session(a, a.created + r.randrange(20, 300) * S, coupon_ok=coupon_ok)
        for _ in range(k):
            t = self.human_ts(lo, hi, tz=a.tz)
            if t is not None:
                self.session(a, t, coupon_ok=coupon_ok)
        if a.addr and r.random() < 0.02 and "household" not in a.tags:
            t = self.human_ts(lo, hi, tz=a.tz)
            if t:
                dev, ip, ctry, ch = self.ctx(a, t)
                a.addr.insert(0, self.uid("ad_"))
                self.emit(t, a.id, "address_change", dev, ip, ctry, addr=a.addr[0], chan=ch)
                a.tags.add("mover")

    def legit(self):
        r = self.r
        for a in self.buyers:
            if a.label == "legit":
                self.life(a)
        # sellers: daily logins from the shop; some send shipping notices (set before orders are placed)
        for s in self.sellers:
            for d in range(self.days):
                if r.random() < 0.7:
                    t = self.t0 + d * D + int((r.uniform(8, 19) - self.tz) * H)
                    self.emit(t, s.id, "login", s.devs[0][0], s.home_ip, s.country, status="ok", chan="web")

    def seller_habits(self):
        r = self.r
        for s in self.sellers:
            s.buy_p = r.choice([0, 0, 0, r.uniform(0.2, 0.9)])
            if s is self.mega:
                s.buy_p = r.uniform(0.3, 0.8)
            if s.buy_p:
                s.tags.add("seller_broadcast")

    def live_shows(self):
        """Creators' live rooms: crowds that arrive together (the click-farm look-alike)."""
        r = self.r
        self.shows = []
        fans_all = self.buyers
        for c in self.creators:
            nfans = min(len(fans_all) // 4, int(r.uniform(10, 60) * c.rate))   # creators scale with the world, fan bases do not
            fans = r.sample(fans_all, max(5, nfans))
            for _ in range(r.randrange(2, 20)):
                st = self.human_ts(tz=self.tz)
                dur = r.randrange(20, 150) * M
                self.shows.append((c, st, dur))
                self.emit(st - 10 * M, c.id, "message", c.devs[0][0], c.home_ip, c.country, target=r.choice(fans).id,
                          text="Going live in 10 min!! 🔴 https://live.example/%s" % c.id, chan="ios")
                p_att = r.uniform(0.15, 0.6)
                for f in fans:
                    if f.label != "legit" or r.random() > p_att:
                        continue
                    t = st + int(r.expovariate(1 / (8.0 * M)))
                    dev, ip, ctry, ch = self.ctx(f, t, False)
                    sid = self.uid("s", 40)
                    for _ in range(r.choice([1, 1, 2, 3])):
                        self.emit(t, f.id, "live_view", dev, ip, ctry, sid, target=c.id, chan=ch)
                        t += int(r.expovariate(1 / (15.0 * M)))
                    if r.random() < 0.05:
                        self.emit(t, f.id, "follow", dev, ip, ctry, target=c.id, chan=ch)
                    self.shows_seen[f.id] = self.shows_seen.get(f.id, 0) + 1
                    if self.shows_seen[f.id] >= 3:
                        f.tags.add("live_fan")
            c.tags.add("creator_broadcast")

    def drop_fans(self):
        r = self.r
        self.drop_sold = {}
        for iid, at, stock in self.drops:
            nf = int(stock * r.uniform(0.2, 0.8))
            for f in r.sample(self.buyers, min(nf, len(self.buyers))):
                if f.label != "legit":
                    continue
                dev, ip, ctry, ch = self.ctx(f, at, False)
                if r.random() < 0.7:
                    tv = at - r.randrange(1, 72) * H
                    d2, ip2, c2, ch2 = self.ctx(f, tv)
                    self.emit(tv, f.id, "view", d2, ip2, c2, self.uid("s", 40), iid, self.item_seller[iid], chan=ch2)
                t = at + int(r.lognormvariate(math.log(40), 1.0) * S)
                sid = self.uid("s", 40)
                self.emit(t - 4 * S, f.id, "view", dev, ip, ctry, sid, iid, self.item_seller[iid], chan=ch)
                self.emit(t - 2 * S, f.id, "add_to_cart", dev, ip, ctry, sid, iid, self.item_seller[iid], qty="1", chan=ch)
                self.order(f, t, iid, dev, ip, ctry, sid, qty=1 if r.random() < 0.9 else 2, chan=ch, review=True)
                f.tags.add("drop_fan")

    def power_browsers(self):
        r = self.r
        for a in r.sample(self.buyers, max(3, self.n // 1500)):
            if a.label != "legit":
                continue
            a.tags.add("power_browser")
            a.views = r.randrange(40, 120)
            self.life(a, rate=r.uniform(20, 60))

    # ---------- attacks
    def fraud(self, a, attack, group):
        a.label, a.attack, a.group = "fraud", attack, group
        a.tags = set()

    def fresh(self, kind="buyer", created=None, style="normal", prefix=None):
        a = self.make_buyer(created=created, kind=kind, prefix=prefix)
        self.person(a, style)
        return a

    def infra(self, style, k):
        """Where a crew's traffic comes from: k addresses."""
        r = self.r
        if style == "datacenter":
            blk = self.dc_block()
            return [blk + str(r.randrange(1, 255)) for _ in range(k)], r.choice(FAR + [self.home])
        if style == "resproxy":
            return [self.ipv4() for _ in range(k)], self.home
        if style == "mobile4g":
            return [r.choice(r.choice(self.carriers)) for _ in range(k)], self.home
        return [self.ipv4()], self.home

    def deal_hunters(self, total):
        r = self.r
        made, g = 0, 0
        while made < total:
            g += 1
            size = min(total - made, max(3, int(r.paretovariate(1.4) * 3)), 40)
            if size < 2:
                break
            gid = "dh-%d" % g
            create = r.choice(["burst", "burst", "drip", "aged"])
            devs = r.choice(["shared", "emulator", "mixed"])
            pay = r.choice(["shared", "prepaid", "mixed"])
            addr = r.choice(["same", "variants", "locker"])
            email = r.choice(["pattern", "throwaway", "normal"])
            ips, ctry = self.infra(r.choice(["datacenter", "resproxy", "mobile4g", "home"]), r.randrange(1, 6))
            base = self.human_ts()
            self.groups[gid] = dict(size=size, create=create, devs=devs, pay=pay, addr=addr, email=email, ips=len(ips))
            shared_devs = [self.uid("d") for _ in range(r.randrange(1, 3))]
            shared_cards = [self.uid("pm_") for _ in range(r.randrange(1, 4))]
            shared_addr = [self.uid("ad_") for _ in range(r.randrange(1, 3))] if addr == "same" else self.lockers
            master = None
            coupons = ["WELCOME10"] + r.sample(self.coupons_public, r.randrange(0, 3))
            for j in range(size):
                if create == "burst":
                    c = base + int(r.random() * r.uniform(0.5, 8) * H)
                elif create == "drip":
                    c = base + int(r.random() * r.uniform(2, 14) * D)
                else:
                    c = self.t0 - r.randrange(60, 900) * D
                c = min(c, self.t1 - H)
                a = self.fresh(created=c, style=email)
                self.fraud(a, "deal_hunter", gid)
                if devs == "shared" or (devs == "mixed" and r.random() < 0.5):
                    a.devs = [(r.choice(shared_devs), "phone")]
                if pay == "shared" or (pay == "mixed" and r.random() < 0.6):
                    a.cards = [r.choice(shared_cards)]
                else:
                    a.cards = [self.uid("pm_")]
                if addr != "variants":
                    a.addr = [r.choice(shared_addr)]
                a.home_ip = r.choice(ips)
                a.mobile_p = 0.0 if len(ips) > 1 else a.mobile_p
                if master is None:
                    master = a
                    continue_ref = "REF-%s" % a.id[-6:].upper()
                # its life: signup (or a wake-up login), a few views, coupon orders, then silence
                t = max(c, self.t0) + r.randrange(1, 120) * M
                dev, ip, ctry2, ch = a.devs[0][0], a.home_ip, a.country, r.choice(["android", "web"])
                if c >= self.t0:
                    self.emit(c, a.id, "signup", dev, ip, ctry2, chan=ch)
                else:
                    self.emit(t, a.id, "login", dev, ip, ctry2, status="ok", chan=ch)
                n_ord = r.choices([1, 2, 3, 4], [0.5, 0.3, 0.15, 0.05])[0]
                for o in range(n_ord):
                    sid = self.uid("s", 40)
                    for _ in range(r.randrange(0, 5)):
                        it = self.rnd_item()
                        self.emit(t, a.id, "view", dev, ip, ctry2, sid, it, self.item_seller[it], chan=ch)
                        t += r.randrange(3, 60) * S
                    it = self.rnd_item()
                    cp = coupons[o % len(coupons)] if o < len(coupons) else (continue_ref if a is not master else "")
                    if o == 1 and a is not master and r.random() < 0.7:
                        cp = continue_ref
                    self.order(a, t, it, dev, ip, ctry2, sid, coupon=cp, addr=a.addr[0], card=a.cards[0], chan=ch, refund_p=0.02)
                    t += r.randrange(10, 60 * 48) * M
                if r.random() < 0.3:
                    self.life(a, rate=r.uniform(0.5, 3), lo=t, coupon_ok=False)
                made += 1
        return g

    def takeovers(self, total):
        r = self.r
        victims = [a for a in self.buyers if a.label == "legit" and a.created < self.t0 - 60 * D and a.rate > 1 and not a.travel]
        r.shuffle(victims)
        made, g = 0, 0
        while made < total and victims:
            g += 1
            size = min(total - made, r.choice([1, 1, 1, 2, 3, 5, 8, 15]))
            gid = "ato-%d" % g
            entry = r.choice(["stuffing", "brute", "reset", "hijack"])
            place = r.choice(["foreign", "resproxy", "same_carrier", "foreign"])
            ips, ctry = self.infra({"foreign": "datacenter", "resproxy": "resproxy", "same_carrier": "mobile4g"}[place], r.randrange(1, 4))
            if place == "foreign":
                ctry = r.choice(FAR)
            crew_dev = self.uid("d")
            sleeper = r.random() < 0.3
            self.groups[gid] = dict(size=size, entry=entry, place=place, sleeper=sleeper)
            for _ in range(size):
                if not victims:
                    break
                a = victims.pop()
                self.fraud(a, "ato", gid)
                at = self.t0 + int(r.uniform(0.25, 0.85) * (self.t1 - self.t0))
                self.life(a, lo=self.t0, hi=at)
                dev = crew_dev if r.random() < 0.5 else self.uid("d")
                if entry == "hijack" and r.random() < 0.5:
                    dev = a.devs[0][0]   # a cloned fingerprint
                ip = r.choice(ips)
                c2 = ctry if place == "foreign" else a.country
                ch = r.choice(["web", "android"])
                t = at
                if entry == "brute":
                    for _ in range(r.randrange(2, 12)):
                        self.emit(t, a.id, "login", dev, r.choice(ips), c2, status="fail", chan=ch)
                        t += r.randrange(2, 120) * S
                if entry == "reset":
                    self.emit(t, a.id, "password_reset", dev, ip, c2, chan=ch)
                    t += r.randrange(1, 20) * M
                if entry != "hijack":
                    self.emit(t, a.id, "login", dev, ip, c2, status="ok", chan=ch)
                t += r.randrange(1, 15) * M
                if sleeper:
                    t += r.randrange(6, 72) * H
                sid = self.uid("s", 40)
                if r.random() < 0.5:
                    self.emit(t, a.id, "account_update", dev, ip, c2, sid, text=r.choice(["email", "phone", "email,phone"]), chan=ch)
                    t += r.randrange(20, 200) * S
                new_addr = None
                if r.random() < 0.7:
                    new_addr = self.uid("ad_")
                    self.emit(t, a.id, "address_change", dev, ip, c2, addr=new_addr, chan=ch)
                    t += r.randrange(20, 300) * S
                for _ in range(r.randrange(0, 4)):
                    it = self.rnd_item()
                    self.emit(t, a.id, "view", dev, ip, c2, sid, it, self.item_seller[it], chan=ch)
                    t += r.randrange(2, 40) * S
                card = a.cards[0] if r.random() < 0.6 else self.uid("pm_")
                for _ in range(r.randrange(1, 5)):
                    it = r.choice(self.giftcards) if r.random() < 0.6 else max((self.rnd_item() for _ in range(20)), key=lambda i: self.item_price[i])
                    self.order(a, t, it, dev, ip, c2, sid, qty=r.choice([1, 1, 2, 3, 5]), addr=new_addr or a.addr[0], card=card, chan=ch, review=False, refund_p=0)
                    t += r.randrange(1, 30) * M
                if r.random() < 0.35:
                    self.emit(t, a.id, "balance_transfer", dev, ip, c2, amount="%.2f" % r.uniform(20, 900), cur=self.cur, pay=self.uid("pm_"), chan=ch)
                if r.random() < 0.2:   # the crew sells the account on: messages to its contacts
                    for _ in range(r.randrange(3, 20)):
                        self.emit(t, a.id, "message", dev, ip, c2, target=r.choice(self.buyers).id, text="hey can u help me? send code pls", chan=ch)
                        t += r.randrange(5, 90) * S
                # the owner comes back
                if r.random() < 0.5:
                    tb = t + r.randrange(2, 72) * H
                    d0, ip0, c0, ch0 = self.ctx(a, tb)
                    self.emit(tb, a.id, "login", d0, ip0, c0, status="fail", chan=ch0)
                    self.emit(tb + 40 * S, a.id, "password_reset", d0, ip0, c0, chan=ch0)
                    self.emit(tb + 5 * M, a.id, "login", d0, ip0, c0, status="ok", chan=ch0)
                    self.life(a, lo=tb + H)
                made += 1
        return g

    def scalpers(self, total):
        r = self.r
        made, g = 0, 0
        while made < total:
            g += 1
            size = min(total - made, r.choice([1, 1, 2, 3, 5, 8, 12, 20, 30]))
            gid = "sc-%d" % g
            pace = r.choice(["instant", "fast", "humanish"])
            qmax = r.randrange(1, 6)
            peek = r.choice(["none", "second", "days"])
            ips, ctry = self.infra(r.choice(["datacenter", "resproxy", "home"]), r.randrange(1, 20))
            ship = [self.uid("ad_") for _ in range(r.randrange(1, 4))] if r.random() < 0.7 else None
            cards = [self.uid("pm_") for _ in range(r.randrange(1, 4))] if r.random() < 0.5 else None
            aged = r.random() < 0.5
            share_dev = self.uid("d") if r.random() < 0.3 else None
            drops = [d for d in self.drops if r.random() < r.uniform(0.3, 1.0)] or [r.choice(self.drops)]
            self.groups[gid] = dict(size=size, pace=pace, qmax=qmax, peek=peek, ships=bool(ship), cards=bool(cards), aged=aged, shared_dev=bool(share_dev), drops=len(drops))
            for _ in range(size):
                a = self.fresh(created=(self.t0 - r.randrange(30, 700) * D) if aged else self.t0 + r.randrange(0, 5) * D)
                self.fraud(a, "scalper", gid)
                if share_dev:
                    a.devs = [(share_dev, "desktop")]
                if ship:
                    a.addr = [r.choice(ship)]
                if cards:
                    a.cards = [r.choice(cards)]
                if r.random() < 0.5:
                    self.life(a, rate=r.uniform(0.3, 4), coupon_ok=False)
                elif a.created >= self.t0:
                    self.emit(a.created, a.id, "signup", a.devs[0][0], r.choice(ips), a.country, chan="web")
                for iid, at, stock in drops:
                    if r.random() < 0.15:
                        continue
                    dev, ip, ch = a.devs[0][0], r.choice(ips), "web"
                    lag = {"instant": r.uniform(0.2, 3), "fast": r.uniform(3, 30), "humanish": r.uniform(30, 180)}[pace]
                    t = at + int(lag * S)
                    sid = self.uid("s", 40)
                    if peek == "days":
                        self.emit(at - r.randrange(2, 96) * H, a.id, "view", dev, r.choice(ips), a.country, self.uid("s", 40), iid, self.item_seller[iid], chan=ch)
                    if peek != "none":
                        self.emit(t - r.randrange(300, 2000), a.id, "view", dev, ip, a.country, sid, iid, self.item_seller[iid], chan=ch)
                    for _ in range(r.choice([1, 1, 1, 2, 3])):
                        if r.random() < 0.4:
                            self.emit(t - 300, a.id, "add_to_cart", dev, ip, a.country, sid, iid, self.item_seller[iid], qty=str(qmax), chan=ch)
                        self.order(a, t, iid, dev, ip, a.country, sid, qty=r.randrange(1, qmax + 1), chan=ch, review=False, refund_p=0.01)
                        t += int(r.uniform(0.5, 8) * S)
                made += 1
        return g

    def brushing(self, total):
        r = self.r
        made, g, sellers_f = 0, 0, 0
        mega_ring = r.random() < 0.6
        small = [s for s in self.sellers[1:] if s.label == "legit"]
        while made < total:
            g += 1
            size = min(total - made, r.randrange(8, 80))
            gid = "br-%d" % g
            if g == 1 and mega_ring:
                boosted = [self.mega]
            else:
                boosted = r.sample(small, min(len(small), r.choice([1, 1, 2, 3, 5])))
                for s in boosted:
                    small.remove(s)
                    self.fraud(s, "brushing", gid)
                    sellers_f += 1
            items = []
            for s in boosted:
                own = self.by_item_seller.get(s.id, [])
                items += r.sample(own, min(len(own), r.randrange(1, 6)))
            if not items:
                continue
            texts = r.choice(["pool", "empty", "varied"])
            pool = r.sample(SHORT, 4) + ["Excellent quality, fast delivery, highly recommend!", "Best purchase ever!!"]
            devs = [self.uid("d") for _ in range(r.randrange(2, 12))] if r.random() < 0.6 else None
            addrs = [self.uid("ad_") for _ in range(r.randrange(1, 6))] if r.random() < 0.6 else None
            cards = [self.uid("pm_") for _ in range(r.randrange(1, 6))] if r.random() < 0.5 else None
            ips, ctry = self.infra(r.choice(["datacenter", "resproxy", "mobile4g", "home"]), r.randrange(1, 10))
            burst = r.random() < 0.5
            base = self.human_ts(hi=self.t1 - 5 * D)
            aged = r.random() < 0.4
            cover = r.uniform(0, 4)
            self.groups[gid] = dict(size=size, mega=boosted[0] is self.mega, sellers=len(boosted), items=len(items), texts=texts, shared_devs=bool(devs),
                                    shared_addr=bool(addrs), shared_cards=bool(cards), burst=burst, aged=aged, cover=round(cover, 2))
            for _ in range(size):
                a = self.fresh(created=(self.t0 - r.randrange(30, 600) * D) if aged else base - r.randrange(0, 5) * D)
                self.fraud(a, "brushing", gid)
                if devs:
                    a.devs = [(r.choice(devs), "phone")]
                if addrs:
                    a.addr = [r.choice(addrs)]
                if cards:
                    a.cards = [r.choice(cards)]
                a.home_ip = r.choice(ips)
                a.mobile_p = 0.0
                if cover > 0.5:
                    self.life(a, rate=cover, coupon_ok=False)
                elif self.t0 <= a.created < self.t1:
                    self.emit(a.created, a.id, "signup", a.devs[0][0], a.home_ip, a.country, chan="android")
                for _ in range(r.randrange(1, 9)):
                    t = (base + int(r.random() * r.uniform(1, 3) * D)) if burst else self.human_ts(lo=max(a.created, self.t0))
                    if t is None:
                        continue
                    it = r.choice(items)
                    dev, ip, ch = a.devs[0][0], a.home_ip, "android"
                    sid = self.uid("s", 40)
                    if r.random() < 0.6:
                        self.emit(t - r.randrange(5, 90) * S, a.id, "view", dev, ip, a.country, sid, it, self.item_seller[it], chan=ch)
                    oid = self.order(a, t, it, dev, ip, a.country, sid, addr=a.addr[0], card=a.cards[0] if a.cards else None, chan=ch, review=False, refund_p=0)
                    if r.random() < r.uniform(0.75, 1.0):
                        tr = t + int(r.uniform(0.2, 5) * D)
                        txt = r.choice(pool) if texts == "pool" else ("" if texts == "empty" else r.choice(SHORT + LONG[:3]))
                        self.emit(tr, a.id, "review", dev, ip, a.country, "", it, self.item_seller[it], oid, "", "", "", "", "", "", "",
                                  "5" if r.random() < 0.93 else "4", "", txt, ch)
                made += 1
        return g, sellers_f, mega_ring

    def click_farms(self, total):
        r = self.r
        made, g = 0, 0
        while made < total:
            g += 1
            size = min(total - made, r.randrange(15, 200))
            gid = "cf-%d" % g
            dev_style = r.choice(["own", "phonefarm", "own"])
            ips, ctry = self.infra(r.choice(["datacenter", "resproxy", "mobile4g"]), r.randrange(2, 30))
            phones = [self.uid("d") for _ in range(max(1, size // r.randrange(3, 10)))]
            members = []
            for _ in range(size):
                a = self.fresh(created=(self.t0 - r.randrange(10, 400) * D) if r.random() < 0.5 else self.human_ts(hi=self.t0 + 5 * D))
                self.fraud(a, "click_farm", gid)
                if dev_style == "phonefarm":
                    a.devs = [(r.choice(phones), "phone")]
                a.home_ip = r.choice(ips)
                a.mobile_p = 0.0
                a.rate = r.uniform(0.0, 4.0)   # cover: a little ordinary browsing
                members.append((a, r.uniform(0.25, 0.98)))
                self.life(a, coupon_ok=False)
                made += 1
            clients = r.sample(self.creators, min(len(self.creators), r.randrange(1, 4))) + r.sample(self.sellers, r.randrange(1, 4))
            n_camp = r.randrange(5, 40)
            win = r.choice([2, 5, 10, 15, 30, 60, 180]) * M
            self.groups[gid] = dict(size=size, devs=dev_style, campaigns=n_camp, window_min=win // M, clients=len(clients),
                                    participation=round(sum(p for _, p in members) / len(members), 2))
            for _ in range(n_camp):
                tgt = r.choice(clients)
                kind = r.choice(["live", "follow", "views", "like", "mix"]) if tgt.kind == "creator" else r.choice(["follow", "views", "like", "mix"])
                st = self.human_ts()
                w = int(win * r.uniform(0.5, 2.0))
                own = self.by_item_seller.get(tgt.id, [])
                its = r.sample(own, min(3, len(own)))
                for a, part in members:
                    if r.random() > part:
                        continue
                    dev, ch = a.devs[0][0], "android"
                    ip = r.choice(ips)
                    sid = self.uid("s", 40)
                    for _ in range(r.randrange(1, 4)):
                        t = st + int(r.random() * w)
                        k = kind if kind != "mix" else r.choice(["live", "follow", "views", "like"])
                        if k == "live" and tgt.kind == "creator":
                            self.emit(t, a.id, "live_view", dev, ip, a.country, sid, target=tgt.id, chan=ch)
                        elif k == "follow":
                            self.emit(t, a.id, "follow", dev, ip, a.country, target=tgt.id, chan=ch)
                        elif k == "like" and its:
                            it = r.choice(its)
                            self.emit(t, a.id, "like", dev, ip, a.country, sid, it, tgt.id, target=tgt.id, chan=ch)
                        else:
                            if its:
                                it = r.choice(its)
                                self.emit(t, a.id, "view", dev, ip, a.country, sid, it, tgt.id, chan=ch)
                            else:
                                self.emit(t, a.id, "profile_view", dev, ip, a.country, sid, target=tgt.id, chan=ch)
        return g

    def scrapers(self, total):
        r = self.r
        out = []
        for j in range(total):
            gid = "scr-%d" % (j + 1)
            a = self.fresh(created=(self.t0 - r.randrange(10, 500) * D) if r.random() < 0.6 else self.t0 + r.randrange(0, 10) * D)
            self.fraud(a, "scraper", gid)
            period = math.exp(r.uniform(math.log(0.3), math.log(180)))
            jitter = r.choice([0.0, 0.02, 0.1, 0.25])
            rotate = r.choice(["none", "every", "batch"])
            ips, ctry = self.infra(r.choice(["datacenter", "resproxy"]), r.randrange(20, 500) if rotate != "none" else 1)
            what = r.choice(["items", "items", "profiles", "both"])
            cover = r.uniform(0.2, 1.0)
            sess_style = r.choice(["none", "run", "constant"])
            dev = a.devs[0][0] if r.random() < 0.7 else ""
            # one or more crawls: each a pass over a share of the catalogue in some order
            cat = list(self.items)
            if r.random() < 0.5:
                cat.sort()
            else:
                r.shuffle(cat)
            targets = cat[:int(len(cat) * cover)]
            if what != "items":
                profs = [s.id for s in self.sellers] + [c.id for c in self.creators]
                targets = (targets if what == "both" else []) + profs * (1 if what == "both" else max(1, int(20 * cover)))
            budget = int(min(len(targets) * r.uniform(0.5, 2), (self.t1 - self.t0) / (period * S) * 0.8, 25000))
            t = self.t0 + int(r.random() * (self.t1 - self.t0) * 0.4)
            i, sid, ip = 0, self.uid("s", 40), r.choice(ips)
            run_len = r.randrange(200, 5000)
            ch = r.choice(["web", ""])
            for k in range(budget):
                if t >= self.t1:
                    break
                tg = targets[i % len(targets)]
                i += 1
                if rotate == "every" or (rotate == "batch" and k % 50 == 0):
                    ip = r.choice(ips)
                if sess_style == "run" and k % run_len == 0:
                    sid = self.uid("s", 40)
                s2 = "" if sess_style == "none" else sid
                if tg in self.item_seller:
                    self.emit(t, a.id, "view", dev, ip, ctry, s2, tg, self.item_seller[tg], chan=ch)
                else:
                    self.emit(t, a.id, "profile_view", dev, ip, ctry, s2, target=tg, chan=ch)
                t += int(period * S * (1 + jitter * (2 * r.random() - 1)))
                if k and k % run_len == 0 and r.random() < 0.5:
                    t += r.randrange(1, 12) * H   # pause between runs
            out.append((gid, round(period, 2), jitter, rotate, what))
            self.groups[gid] = dict(period_s=round(period, 2), jitter=jitter, rotate=rotate, what=what, coverage=round(cover, 2), budget=budget, sessions=sess_style)
        return out

    def refund_abuse(self, total):
        r = self.r
        made, g = 0, 0
        while made < total:
            g += 1
            size = min(total - made, r.choice([1, 1, 2, 3, 4, 6, 8, 12]))
            gid = "ra-%d" % g
            addrs = [self.uid("ad_") for _ in range(r.randrange(1, 4))]
            cards = [self.uid("pm_") for _ in range(r.randrange(1, 4))]
            devs = [self.uid("d") for _ in range(r.randrange(1, 4))]
            share = r.choice(["addr", "card", "dev", "all", "addr"])
            claim = r.choice(["not_received", "not_received", "empty_box", "mixed"])
            p_ref = r.uniform(0.45, 1.0)
            self.groups[gid] = dict(size=size, share=share, claim=claim, p_refund=round(p_ref, 2))
            for _ in range(size):
                a = self.fresh(created=self.t0 - r.randrange(20, 900) * D if r.random() < 0.7 else self.human_ts(hi=self.t0 + 10 * D))
                self.fraud(a, "refund_abuse", gid)
                if share in ("addr", "all"):
                    a.addr = [r.choice(addrs)]
                if share in ("card", "all"):
                    a.cards = [r.choice(cards)]
                if share in ("dev", "all"):
                    a.devs = [(r.choice(devs), "phone")] + a.devs[1:]
                a.rate = r.uniform(0.5, 5)
                self.life(a, coupon_ok=True)
                for _ in range(r.randrange(3, 14)):
                    t = self.human_ts(lo=max(a.created, self.t0), hi=self.t1 - 3 * D, tz=a.tz)
                    if t is None:
                        continue
                    dev, ip, c2, ch = self.ctx(a, t)
                    cand = [self.rnd_item() for _ in range(6)]
                    it = max(cand, key=lambda i: self.item_price[i])
                    sid = self.uid("s", 40)
                    self.emit(t - r.randrange(10, 300) * S, a.id, "view", dev, ip, c2, sid, it, self.item_seller[it], chan=ch)
                    oid = self.order(a, t, it, dev, ip, c2, sid, addr=a.addr[0], chan=ch, review=r.random() < 0.2, refund_p=0)
                    if r.random() < p_ref:
                        tr = t + int(r.uniform(1, 6) * D)
                        reason = claim if claim != "mixed" else r.choice(["not_received", "damaged", "empty_box", "not_as_described"])
                        txt = r.choice(["never arrived", "NOT RECEIVED", "box was empty", "item missing from parcel", "", "where is my order??"])
                        d2, ip2, c3, ch2 = self.ctx(a, tr)
                        self.emit(tr, a.id, "refund", d2, ip2, c3, "", "", "", oid, "", "%.2f" % self.item_price[it], self.item_cur[it],
                                  status=reason, text=txt, chan=ch2)
                made += 1
        return g

    def spammers(self, total):
        r = self.r
        out = []
        g = 0
        made = 0
        while made < total:
            g += 1
            size = min(total - made, r.choice([1, 1, 2, 3, 5]))
            gid = "sp-%d" % g
            tmpl = r.choice(SPAM_TEMPLATES)
            style = r.choice(["blast", "slow", "aged", "sellers"])
            ips, ctry = self.infra(r.choice(["datacenter", "resproxy", "home"]), r.randrange(1, 8))
            for _ in range(size):
                if style == "aged":
                    cands = [b for b in self.buyers if b.label == "legit" and b.created < self.t0 - 90 * D]
                    a = r.choice(cands)
                    self.fraud(a, "spam", gid)
                    st = self.t0 + int(r.uniform(0.3, 0.9) * (self.t1 - self.t0))
                    self.life(a, hi=st)
                else:
                    a = self.fresh(created=self.human_ts(hi=self.t1 - 3 * D), style="throwaway")
                    self.fraud(a, "spam", gid)
                    st = a.created + r.randrange(5, 600) * M
                    self.emit(a.created, a.id, "signup", a.devs[0][0], r.choice(ips), a.country, chan="web")
                n_msg = {"blast": r.randrange(80, 1500), "slow": r.randrange(15, 120), "aged": r.randrange(20, 400), "sellers": r.randrange(20, 300)}[style]
                gap = {"blast": r.uniform(2, 30), "slow": r.uniform(600, 20000), "aged": r.uniform(10, 600), "sellers": r.uniform(30, 3000)}[style]
                pool = (self.sellers + self.creators) if style == "sellers" else self.buyers + self.creators
                t = st
                dev = a.devs[0][0]
                for _ in range(n_msg):
                    if t >= self.t1:
                        break
                    tg = r.choice(pool)
                    if r.random() < 0.15:
                        self.emit(t, a.id, "follow", dev, r.choice(ips), a.country, target=tg.id, chan="web")
                    u = r.choice(["http://bit.ly/%x" % r.getrandbits(24), "hxxps://win-%x.top" % r.getrandbits(16), "w w w . prize%d . xyz" % r.randrange(99)])
                    txt = tmpl.format(p=r.choice(["€500", "$1000", "iPhone 16"]), u=u, n=r.randrange(100, 99999), h="x%x" % r.getrandbits(16))
                    if r.random() < 0.3:
                        txt = txt.replace(" ", "  ", 1) + r.choice(["", " !", " 🎁", "\n"])
                    self.emit(t, a.id, "message", dev, r.choice(ips), a.country, target=tg.id, text=txt, chan="web")
                    t += int(r.expovariate(1 / gap) * S) + S
                made += 1
            out.append((gid, style, size))
            self.groups[gid] = dict(size=size, style=style, template=tmpl[:30])
        return out

    # ---------- whole world
    def generate(self):
        r, n = self.r, self.n
        self.build()
        self.populate()
        self.seller_habits()
        sc = n / 20000.0
        counts = {
            "deal_hunter": int(r.uniform(60, 250) * sc), "ato": int(r.uniform(30, 130) * sc), "scalper": int(r.uniform(10, 80) * sc),
            "brushing": int(r.uniform(40, 250) * sc), "click_farm": int(r.uniform(40, 300) * sc),
            "scraper": max(2, int(r.uniform(2, 12) * math.sqrt(sc))), "refund_abuse": int(r.uniform(20, 120) * sc),
            "spam": max(3, int(r.uniform(8, 40) * sc)),
        }
        self.p["fraud_counts_drawn"] = counts
        # takeovers and aged spammers pick their victims among the buyers before the buyers live
        self.p["ato_groups"] = self.takeovers(counts["ato"])
        self.p["spam_groups"] = self.spammers(counts["spam"])
        self.legit()
        self.live_shows()
        self.drop_fans()
        self.power_browsers()
        self.p["deal_hunter_groups"] = self.deal_hunters(counts["deal_hunter"])
        self.p["scalper_groups"] = self.scalpers(counts["scalper"])
        g, sf, mr = self.brushing(counts["brushing"])
        self.p.update(brushing_groups=g, brushing_sellers=sf, brushing_mega_ring=mr)
        self.p["click_farm_groups"] = self.click_farms(counts["click_farm"])
        self.p["scrapers"] = self.scrapers(counts["scraper"])
        self.p["refund_groups"] = self.refund_abuse(counts["refund_abuse"])

    def write(self, junk):
        r = self.r
        out = self.out
        n_ev, dup, late = self.write_events(junk)
        with open(os.path.join(out, "accounts.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("account_id,created_at,kind,country,email,phone,signup_channel\n")
            for a in self.accs:
                x = r.random()
                ca = self.fmt_ts(a.created, r.random()) if x > 0.01 else ""
                f.write("%s,%s,%s,%s,%s,%s,%s\n" % (a.id, ca, a.kind, a.country if r.random() > 0.01 else "", esc(a.email), a.phone,
                                                 r.choice(["web", "ios", "android", ""])))
        with open(os.path.join(out, "items.jsonl"), "w", encoding="utf-8") as f:
            drops = {d[0]: d[1] for d in self.drops}
            for iid in self.items:
                o = {"item_id": iid, "seller_id": self.item_seller[iid], "title": "%s %s" % (self.item_cat[iid].replace("_", " "), iid[-4:]),
                     "category": self.item_cat[iid], "price": self.item_price[iid], "currency": self.item_cur[iid]}
                if iid in drops:
                    o["limited"] = r.choice([True, 1])
                    o["drop_at"] = self.fmt_ts(drops[iid], r.random())
                elif r.random() < 0.5:
                    o["limited"] = r.choice([False, 0])
                if r.random() < 0.05:
                    o["title"] = None
                if r.random() < 0.1:
                    o["brand"] = r.choice(["acme", "nordic", "Ünïcode & Co", "generic"])
                f.write(json.dumps(o, ensure_ascii=False) + "\n")
        fam = {}
        with open(os.path.join(out, "truth.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("account_id,label,attack,group,lookalike\n")
            for a in self.accs:
                tags = set(a.tags)
                if self.mega_orders.get(a.id, 0) >= 2:
                    tags.add("mega_seller_buyer")
                tags = sorted(tags) if a.label == "legit" else []
                f.write("%s,%s,%s,%s,%s\n" % (a.id, a.label, a.attack, a.group, "|".join(tags)))
                if a.label == "fraud":
                    fam[a.attack] = fam.get(a.attack, 0) + 1
        self.p["groups"] = self.groups
        self.p.update(events=n_ev, duplicates=dup, late_rows=late, junk_rows=junk, accounts=len(self.accs), fraud=fam)
        with open(os.path.join(out, "world.json"), "w") as f:
            json.dump(self.p, f, indent=1, default=str)
        return n_ev, fam


def main():
    a, start = worldcli.parse("market.py", __doc__, 8, "rows meant to be rejected (bad time, no account, bad number, no event id)")
    t = time.time()
    w = World(a.accounts, a.days, a.seed, start, a.out)
    w.generate()
    n_ev, fam = w.write(max(0, a.junk))
    if not a.quiet:
        print("market.py: %s: %d accounts, %d items, %d event rows, fraud %s in %.1f s" % (
            a.out, len(w.accs), len(w.items), n_ev, json.dumps(fam, sort_keys=True), time.time() - t))


if __name__ == "__main__":
    main()
