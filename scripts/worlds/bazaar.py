#!/usr/bin/env python3
"""bazaar.py: a third marketplace generator for riskdesk's robustness benchmark, written blind
(without reading the detectors, the simulator or market.py's world logic).

  scripts/worlds/bazaar.py --out DIR [--accounts N] [--days D] [--seed S] [--start YYYY-MM-DD] [--honest-hard] [--quiet]

Writes DIR/accounts.jsonl, DIR/items.csv, DIR/events.csv (docs/data-contract.md: mixed time
formats, an extra column, duplicates, late rows and a few junk rows meant to be rejected),
DIR/truth.csv (account_id,label,attack,group,lookalike) and DIR/world.json (every parameter
drawn; "groups" maps an attack group to its variant, "params" to its numeric parameters).
The same seed writes the same bytes. Standard library only. What it draws: docs/robustness.md,
"The third generator". --honest-hard adds the honest people session 40's reviews named (tags in
HONEST_HARD_TAGS; docs/robustness.md, "Honest look-alikes"); without it the bytes are as before.
"""
import bisect, json, math, os, random, shutil, sys, tempfile, time

import worldcli

S, M, H, D = 1000, 60000, 3600000, 86400000

# code: (utc offset, currency, units per USD)
COUNTRIES = {"US": (-6, "USD", 1), "MX": (-6, "MXN", 17), "GB": (0, "GBP", 0.8), "FR": (1, "EUR", 0.92),
             "IT": (1, "EUR", 0.92), "TR": (3, "TRY", 32), "IN": (5, "INR", 83), "TH": (7, "THB", 35),
             "VN": (7, "VND", 24000), "PH": (8, "PHP", 56), "JP": (9, "JPY", 150), "KR": (9, "KRW", 1300),
             "AU": (10, "AUD", 1.5)}
WHOLE = {"JPY", "KRW", "VND", "INR"}
FOREIGN = ["RU", "NG", "CN", "UA", "RO", "PK", "BD", "KZ", "BR", "ID", "EG", "NL", "DE", "SG"]
CATS = {"fashion": (25, 0.7), "electronics": (120, 0.9), "home": (35, 0.8), "beauty": (18, 0.6), "toys": (22, 0.7),
        "sports": (40, 0.8), "books": (12, 0.5), "grocery": (9, 0.5), "gift_cards": (50, 0.5), "collectibles": (60, 1.1),
        "sneakers": (110, 0.5), "digital": (15, 0.6), "phones": (400, 0.6)}
HOURS = [1.5, 0.9, 0.5, 0.3, 0.25, 0.35, 0.7, 1.3, 2.0, 2.4, 2.7, 3.0, 3.5, 3.2, 2.9, 2.9, 3.0, 3.4, 4.0, 4.8, 5.6, 5.9, 4.6, 2.8]
SHORT = ["good", "Good!", "ok", "nice", "5*", "very good", "fast delivery", "love it", "as expected", "thank you",
         "recommend", "excellent", "great", "😍", "👌", "perfect!!", "nice seller", "works", "same as picture", "A+"]
LONG = ["Fabric is thinner than I hoped but the fit is right, I'd order again at this price.",
        "Arrived in 4 days, well packed. Instructions only in Chinese, found a manual online.",
        "Bought for my mum, she likes it, the colour is more pink than red",
        "Charger gets warm after an hour; otherwise does what it says.",
        "Second order from this shop,\nstill happy. Sizes run large.",
        "Non è male, spedizione veloce", "ดีมากครับ ส่งไว", "giao hàng nhanh, đóng gói cẩn thận",
        "The box was crushed, product inside fine, seller offered a coupon", 'Says "waterproof", it is "splash proof"']
QUESTIONS = ["hi, do you ship to my city?", "Is size L available?", "when will my order ship?", "can I change colour after ordering?",
             "hello, parcel tracking not updating", "Is this original?", "thanks, got it 🙏", "discount if I buy 3?"]
BROADCASTS = ["New collection is live! 20% off this weekend only", "Thanks for your order, leave a review and get a coupon 🎁",
              "Flash sale tonight 8pm, see our shop page", "We are closed for holidays, orders ship on Monday"]
SPAM = ["Congratulations! you are selected for a {p} gift card, claim: {u}", "work from home earn {n}/day, contact tg @{h}",
        "cheap followers + likes, {u}", "same item 50% cheaper at {u}", "your order has a problem, verify payment at {u}",
        "WhatsApp me +{n} for wholesale price", "Free iPhone giveaway 🎉 {u}", "invest {n} get 3x in a week, {u}"]
INR_TEXT = ["never received", "tracking says delivered, not here", "package not arrived", "", "no parcel", "item not received!!"]
EMPTY_TEXT = ["box was empty", "received empty package", "wrong item inside, a brick", "only packaging, no product", "item missing from box"]
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "naver.com", "yahoo.co.jp", "icloud.com", "mail.com"]
THROWAWAY = ["tmpbox.net", "10minute.email", "dropmail.me", "yopmail.com", "burner.kiwi"]
NAMES = ["kim", "lee", "nguyen", "tran", "garcia", "rossi", "smith", "tanaka", "sato", "patel", "singh", "martin",
         "lopez", "santos", "reyes", "yilmaz", "brown", "jones", "park", "choi", "dubois", "bianchi", "wong", "ali"]

# --honest-hard: the honest people last session's reviews named, one truth.csv look-alike tag each (docs/robustness.md)
HONEST_HARD_TAGS = {
    "early_fan": "a drop regular who is always at the head of the rush (fast by habit), looks first, shops besides",
    "split_order": "buys two or three units at a drop as separate orders seconds apart, at a crowd's speed",
    "staff_code": "a business's staff code used from the office's own /24 in working hours, most accounts opened for it",
    "resort_code": "a resort's code: guests from many countries sign up on the hotel Wi-Fi, a few ship to the hotel",
    "friends_code": "a family-and-friends code: friends sign up on the host's home network one evening, ship home",
    "club_code": "a school evening's or club's code: parents sign up on the building's /24 within two hours",
    "refund_before_log": "refunds in the log of orders placed before the log starts",
    "restocking_fee": "returns refunded less a shop's restocking fee (a share, or from the n-th return on)",
    "foreign_refund": "a refund paid in the buyer's own currency, converted, not the order's",
    "partial_line_refund": "a two- or three-line order (rows sharing an order id) refunded whole or for one line",
    "goodwill_refund": "a damaged parcel kept for a part refund; one or two claims",
    "new_phone_at_end": "a new phone in the data's last four days (reset, sometimes a typo or new address), a big order",
    "partner_phone": "a partner's phone: once at home, days later on its own mobile data, then a gift elsewhere",
    "owner_typo": "the owner's one or two failed logins, then in from a carrier block never used, sometimes a gift",
    "work_pc": "the account used from a work computer on an office /24 on weekdays, parcels sometimes to the office",
    "weekly_show": "a family watching a weekly show at a fixed hour together on its home network; no creator event",
    "show_fan": "other fans of that weekly show, from wherever they are",
    "room_regular": "regular viewers of a room that has no owner event at all, each on their own network",
    "flash_code": "a public flash code taken by a crowd within hours, many new; a few colleagues from one office /24",
    "partner_glimpse": "a partner's phone opens the app on its mobile data; within the hour the owner sends a gift",
    "child_phone": "a child's phone set up at home by a parent (a typo first), later orders on mobile data",
}


def esc(s):
    s = str(s)
    if ',' in s or '"' in s or '\n' in s or '\r' in s:
        return '"' + s.replace('"', '""') + '"'
    return s


class Acc:
    __slots__ = ("id", "kind", "created", "country", "email", "phone", "label", "attack", "group", "tags", "devs", "home_ip",
                 "carrier", "office", "addr", "cards", "tz", "mobile_p", "rate", "buy_p", "login_p", "views", "review_p",
                 "refund_p", "idx")

    def __init__(self, aid, kind, created, country, idx):
        self.id, self.kind, self.created, self.country, self.idx = aid, kind, created, country, idx
        self.label, self.attack, self.group, self.tags = "legit", "", "", set()
        self.email = self.phone = ""
        self.devs, self.cards = [], []
        self.home_ip = self.carrier = self.office = self.addr = None
        self.tz = COUNTRIES.get(country, (0,))[0]
        self.mobile_p, self.rate, self.buy_p, self.login_p, self.views, self.review_p, self.refund_p = 0.5, 0.2, 0.15, 0.3, 4, 0.2, 0.03


class World:
    def __init__(self, n, days, seed, start, out, honest_hard=False):
        self.n, self.days, self.seed, self.out = n, days, seed, out
        self.hard = honest_hard
        self.r = random.Random(seed)
        self.t0, self.t1 = start, start + days * D
        self.tmp = tempfile.mkdtemp(prefix="bazaar-", dir=out)
        self.buckets, self.buffered, self.ev = {}, 0, 0
        self.accs, self.ids = [], set()
        self.p, self.groups, self.gparams = {}, {}, {}
        self.items, self.item_seller, self.item_price, self.item_cat, self.item_cur = [], {}, {}, {}, {}
        self.drops = []          # (item, drop_at, crowd size)
        self.seller_orders = {}  # seller id -> [(buyer id)] sample for spam targeting
        self.mega_orders = {}    # buyer id -> orders from the mega seller
        self.used = set()        # accounts already given a role (victims, lookalike roles)

    # ---- randomness helpers
    def uid(self, prefix, bits=48):
        return "%s%0*x" % (prefix, bits // 4, self.r.getrandbits(bits))

    def poisson(self, lam):
        r = self.r
        if lam > 50:
            return max(0, int(r.gauss(lam, math.sqrt(lam)) + 0.5))
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= r.random()
            if p < L:
                return k
            k += 1

    def pareto_int(self, alpha, lo, hi):
        return int(min(hi, lo * (1 - self.r.random()) ** (-1 / alpha)))

    def ipv4(self, a=None, b=None):
        r = self.r
        return "%d.%d.%d.%d" % (a if a is not None else r.choice([24, 49, 58, 73, 81, 94, 101, 110, 115, 122, 171, 182, 203, 211]),
                                b if b is not None else r.randrange(256), r.randrange(256), r.randrange(1, 255))

    def v6(self):
        return "2001:db8:%x:%x::%x" % (self.r.getrandbits(16), self.r.getrandbits(16), self.r.getrandbits(16))

    def dc_ip(self, block=None):
        block = block or self.r.choice(self.dc_blocks)
        return "%s.%d" % (block, self.r.randrange(2, 250))

    def local_ts(self, tz, day, weights=None):
        r = self.r
        h = bisect.bisect(weights or self.hours_cum, r.random() * (weights or self.hours_cum)[-1])
        return self.t0 + day * D + (min(h, 23) - tz) * H + r.randrange(H)

    # ---- events
    def emit(self, ts, a, typ, dev="", ip="", ctry="", sess="", item="", seller="", order="", qty="", amount="", cur="",
             coupon="", pay="", addr="", target="", rating="", status="", text="", app=""):
        if ts < self.t0 or ts >= self.t1:
            return
        x = self.r.random()
        if x < 0.003:
            dev = ""
        elif x < 0.015:
            ctry = ""
        line = "%d\t%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s" % (
            ts, a.id, typ, dev, ip, ctry, sess, item, seller, order, qty, amount, cur, coupon, pay, addr, target, rating, status,
            esc(text) if text else "", app)
        if "\n" in line:
            line = line.replace("\n", "\x1f")
        day = (ts - self.t0) // D
        b = self.buckets.get(day)
        if b is None:
            b = self.buckets[day] = []
        b.append(line)
        self.ev += 1
        self.buffered += 1
        if self.buffered >= 300000:
            self.flush()

    def flush(self):
        for day, lines in self.buckets.items():
            with open(os.path.join(self.tmp, "d%03d" % day), "a", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        self.buckets, self.buffered = {}, 0

    # ---- accounts
    def new_acc(self, kind, created, country=None):
        while True:
            aid = str(self.r.randrange(10 ** 9, 10 ** 10)) if self.r.random() < 0.7 else self.uid("usr_", 40)
            if aid not in self.ids:
                break
        self.ids.add(aid)
        a = Acc(aid, kind, created, country or self.home_country(), len(self.accs))
        r = self.r
        nm = r.choice(NAMES) + r.choice(["", ".", "_"]) + r.choice(NAMES[:12] + [str(r.randrange(99)), str(r.randrange(1960, 2008))])
        a.email = "%s@%s" % (nm, r.choice(DOMAINS))
        a.phone = "+%d%09d" % (r.randrange(1, 99), r.randrange(10 ** 9))
        a.devs = [self.uid("dv", 64)]
        if r.random() < 0.35:
            a.devs.append(self.uid("dv", 64))
        a.home_ip = self.v6() if r.random() < 0.15 else self.ipv4()
        a.carrier = r.choice(self.carriers[a.country]) if a.country in self.carriers else None
        a.addr = self.uid("ad_", 40)
        a.cards = [self.uid("pm_", 48)]
        self.accs.append(a)
        return a

    def home_country(self):
        return self.countries[bisect.bisect(self.country_cum, self.r.random() * self.country_cum[-1])]

    def ctx(self, a, t):
        """device, ip, country for a session of a at t: home, office (weekday hours) or mobile carrier NAT."""
        r = self.r
        ctry = a.country
        if a.office is not None:
            lt = (t + a.tz * H) % D
            wd = ((t + a.tz * H) // D + 3) % 7   # 1970-01-01 was a Thursday
            if wd < 5 and 9 * H <= lt < 18 * H and r.random() < 0.8:
                return a.devs[-1], a.office, ctry
        if a.carrier and r.random() < a.mobile_p:
            return a.devs[0], r.choice(a.carrier), ctry
        return a.devs[-1], a.home_ip, ctry

    # ---- orders, reviews, refunds
    def pick_item(self, near=None):
        r = self.r
        if near is not None and r.random() < 0.35:
            its = self.seller_items[self.item_seller[near]]
            return its[min(len(its) - 1, int(r.paretovariate(1.2)) - 1)]
        return self.items[bisect.bisect(self.item_cum, r.random() * self.item_cum[-1])]

    def fmt_amount(self, v, cur):
        return str(int(round(v))) if cur in WHOLE else "%.2f" % v

    def order(self, a, t, item, dev, ip, ctry, sess="", qty=1, coupon="", addr=None, card=None, app="", fail_p=0.02):
        r = self.r
        oid = self.uid("o")
        seller, cur = self.item_seller[item], self.item_cur[item]
        amount = self.item_price[item] * qty
        disc = 0.0
        if coupon:
            disc = amount * r.choice([0.1, 0.15, 0.2, 0.3])
        self.emit(t, a, "order", dev, ip, ctry, sess, item, seller, oid, qty, self.fmt_amount(amount - disc, cur), cur, coupon,
                  "", addr or a.addr, app=app)
        t += r.randrange(3 * S, 40 * S)
        card = card or r.choice(a.cards)
        if r.random() < fail_p:
            self.emit(t, a, "payment", dev, ip, ctry, order=oid, amount=self.fmt_amount(amount - disc, cur), cur=cur, pay=card,
                      status="fail", app=app)
            t += r.randrange(10 * S, 90 * S)
        self.emit(t, a, "payment", dev, ip, ctry, order=oid, amount=self.fmt_amount(amount - disc, cur), cur=cur, pay=card,
                  status="ok", app=app)
        if coupon:
            self.emit(t + r.randrange(S, 5 * S), a, "coupon_redeem", dev, ip, ctry, order=oid, coupon=coupon,
                      amount=self.fmt_amount(disc, cur), cur=cur, app=app)
        if seller == self.mega:
            self.mega_orders[a.id] = self.mega_orders.get(a.id, 0) + 1
        so = self.seller_orders.setdefault(seller, [])
        if len(so) < 400:
            so.append(a)
        return oid, t, self.fmt_amount(amount - disc, cur), cur

    def review(self, a, t, oid, item, rating, text, dev="", ip=""):
        self.emit(t, a, "review", dev, ip, order=oid, item=item, seller=self.item_seller[item], rating=rating, text=text)

    def honest_rating(self):
        x = self.r.random()
        return 5 if x < 0.62 else 4 if x < 0.82 else 3 if x < 0.9 else 2 if x < 0.94 else 1

    def honest_text(self):
        x = self.r.random()
        return "" if x < 0.25 else self.r.choice(SHORT) if x < 0.75 else self.r.choice(LONG)

    def after_order(self, a, t, oid, item, amount, cur, reasons=None):
        r = self.r
        if r.random() < a.review_p:
            dev, ip, _ = self.ctx(a, t)
            self.review(a, t + r.randrange(2 * D, 12 * D), oid, item, self.honest_rating(), self.honest_text(), dev, ip)
        if r.random() < a.refund_p:
            reason = r.choices(*(reasons or self.refund_reasons))[0]
            text = r.choice(INR_TEXT) if reason == "not_received" else r.choice(["", "", "size too small", "not as pictured", "broken"])
            self.emit(t + r.randrange(3 * D, 20 * D), a, "refund", order=oid, amount=amount, cur=cur, status=reason, text=text)

    # ---- the honest marketplace
    def build(self):
        r, n = self.r, self.n
        p = self.p
        self.hours_cum = list(self._cum(HOURS))
        k = r.randint(3, 6)
        self.countries = r.sample(sorted(COUNTRIES), k)
        self.country_cum = list(self._cum([r.paretovariate(1.0) for _ in self.countries]))
        self.carriers = {c: [[self.ipv4() for _ in range(r.randint(4, 40))] for _ in range(r.randint(2, 4))] for c in self.countries}
        self.dc_blocks = ["%d.%d.%d" % (r.choice([5, 23, 34, 45, 104, 138, 146, 157, 167, 185, 193]), r.randrange(256), r.randrange(256))
                          for _ in range(40)]
        self.refund_reasons = (["wrong_size", "changed_mind", "damaged", "not_as_described", "not_received", "late"],
                               [r.uniform(1, 4), r.uniform(1, 3), r.uniform(0.5, 2), r.uniform(0.5, 2), r.uniform(0.2, 1), r.uniform(0.2, 1)])
        base_refund = r.uniform(0.015, 0.06)
        p.update(countries=self.countries, base_refund=round(base_refund, 4))
        # sellers: one mega-seller, a heavy tail of the rest
        n_sellers = max(20, int(n * r.uniform(0.015, 0.035)))
        self.sellers = []
        for i in range(n_sellers):
            s = self.new_acc("seller", self.t0 - r.randrange(30 * D, 1500 * D))
            s.rate = r.uniform(0.3, 2)
            self.sellers.append(s)
        self.mega = self.sellers[0].id
        self.sellers[0].tags.add("mega_seller")
        mega_share = r.uniform(0.2, 0.6)
        w = [r.paretovariate(r.uniform(0.9, 1.5)) for _ in self.sellers[1:]]
        tot = sum(w)
        self.seller_items = {}
        weights = []
        for i, s in enumerate(self.sellers):
            sw = mega_share if i == 0 else (1 - mega_share) * w[i - 1] / tot
            ni = r.randint(400, 1500) if i == 0 else max(1, min(400, int(5 * w[i - 1] ** 0.8 * r.uniform(0.3, 3))))
            cats = r.sample(sorted(CATS), r.randint(1, 4))
            its = []
            for j in range(ni):
                iid = self.uid("it", 40)
                cat = r.choice(cats)
                mu, sig = CATS[cat]
                cur, fx = COUNTRIES[s.country][1], COUNTRIES[s.country][2]
                self.item_seller[iid], self.item_cat[iid], self.item_cur[iid] = s.id, cat, cur
                self.item_price[iid] = max(0.5, r.lognormvariate(math.log(mu), sig)) * fx
                its.append(iid)
                self.items.append(iid)
                weights.append(sw * (1.0 / (j + 1) ** 0.8))
            z = sum(1.0 / (j + 1) ** 0.8 for j in range(ni))
            for j in range(ni):
                weights[-ni + j] /= z
            self.seller_items[s.id] = its
        self.item_cum = list(self._cum(weights))
        p.update(sellers=n_sellers, mega_share=round(mega_share, 3), items=len(self.items))
        # creators
        self.creators = [self.new_acc("creator", self.t0 - r.randrange(60 * D, 1200 * D)) for _ in range(max(5, int(n * r.uniform(0.002, 0.006))))]
        # buyers
        n_buyers = n - len(self.sellers) - len(self.creators)
        new_share = r.uniform(0.03, 0.08)
        self.buyers = []
        i = 0
        while i < n_buyers:
            hh = min(n_buyers - i, 1 if r.random() < 0.55 else 1 + int(r.expovariate(0.6)) + 1)
            first = None
            for j in range(hh):
                new = r.random() < new_share
                created = self.t0 + r.randrange(self.days * D) if new else self.t0 - int(r.expovariate(1 / (400 * D))) - D
                a = self.new_acc("buyer", created, first.country if first else None)
                a.rate = min(4.0, r.lognormvariate(math.log(0.18), 1.0))
                a.buy_p = min(0.9, r.betavariate(1.5, 8))
                a.login_p = r.uniform(0.05, 0.6)
                a.mobile_p = r.betavariate(2, 1.5)
                a.views = r.uniform(2, 9)
                a.review_p = r.betavariate(1, 4)
                a.refund_p = base_refund * r.uniform(0.3, 2)
                if first is not None:
                    a.home_ip, a.addr = first.home_ip, first.addr
                    a.tags.add("household")
                    first.tags.add("household")
                    if r.random() < 0.35:
                        a.devs.append(first.devs[-1])
                    if r.random() < 0.3:
                        a.cards = a.cards + [first.cards[0]]
                else:
                    first = a
                self.buyers.append(a)
                i += 1
        # offices, campuses: NAT shared in working hours
        n_off = max(2, int(n_buyers * r.uniform(0.08, 0.25) / 80))
        for o in range(n_off):
            ip = self.ipv4()
            kind = r.choice(["office", "office", "campus"])
            for a in r.sample(self.buyers, min(len(self.buyers), self.pareto_int(1.1, 15, 600))):
                if a.office is None:
                    a.office = ip
                    a.tags.add(kind)
        for a in self.buyers:
            if a.carrier and a.mobile_p > 0.85 and a.rate > 0.3:
                a.tags.add("carrier_nat")
        p.update(buyers=n_buyers, creators=len(self.creators), offices=n_off, new_share=round(new_share, 3))

    @staticmethod
    def _cum(w):
        t = 0.0
        for x in w:
            t += x
            yield t

    def session(self, a, t, buy_boost=1.0, coupon="", item=None, app=""):
        r = self.r
        dev, ip, ctry = self.ctx(a, t)
        sess = self.uid("s", 40)
        if r.random() < a.login_p:
            if r.random() < 0.04:
                self.emit(t, a, "login", dev, ip, ctry, status="fail", app=app)
                t += r.randrange(5 * S, 60 * S)
            self.emit(t, a, "login", dev, ip, ctry, status="ok", app=app)
        nv = 1 + int(r.expovariate(1 / a.views))
        last = item
        for _ in range(nv):
            t += r.randrange(2 * S, 25 * S) + int(r.expovariate(1 / 35000))
            last = self.pick_item(last)
            self.emit(t, a, "view", dev, ip, ctry, sess, last, self.item_seller[last], app=app)
        if last and r.random() < a.buy_p * buy_boost:
            t += r.randrange(5 * S, 120 * S)
            qty = 1 if r.random() < 0.85 else r.randint(2, 4)
            self.emit(t, a, "add_to_cart", dev, ip, ctry, sess, last, self.item_seller[last], qty=qty, app=app)
            t += r.randrange(10 * S, 300 * S)
            oid, t, amt, cur = self.order(a, t, last, dev, ip, ctry, sess, qty, coupon, app=app)
            self.after_order(a, t, oid, last, amt, cur)
        if r.random() < 0.02:
            s = self.item_seller[last] if last else self.mega
            self.emit(t + r.randrange(S, 60 * S), a, "message", dev, ip, ctry, target=s, text=r.choice(QUESTIONS), app=app)
        if r.random() < 0.08:
            self.emit(t + r.randrange(S, 600 * S), a, "logout", dev, ip, app=app)
        return t

    def signup(self, a, dev, ip, ctry, app=""):
        self.emit(a.created, a, "signup", dev, ip, ctry, app=app)

    def legit(self):
        r = self.r
        for a in self.buyers:
            if a.created >= self.t0 and "campus_signup" not in a.tags:
                dev, ip, ctry = self.ctx(a, a.created)
                self.signup(a, dev, ip, ctry)
                # a welcome coupon, used by many honest newcomers
                if r.random() < self.p["welcome_use"]:
                    self.session(a, a.created + r.randrange(M, 3 * H), buy_boost=20, coupon=self.welcome)
            d0 = max(0, (a.created - self.t0) // D)
            for _ in range(self.poisson(a.rate * (self.days - d0))):
                day = r.randrange(d0, self.days)
                self.session(a, self.local_ts(a.tz, day))
        for s in self.sellers:
            dev, ip = s.devs[0], s.home_ip
            for day in range(self.days):
                if r.random() < min(1, s.rate):
                    self.emit(self.local_ts(s.tz, day), s, "login", dev, ip, s.country, status="ok")
            buyers = self.seller_orders.get(s.id, [])
            if buyers and r.random() < 0.12:     # sellers broadcasting to their buyers
                s.tags.add("seller_broadcast")
                t = self.local_ts(s.tz, r.randrange(self.days))
                text = r.choice(BROADCASTS)
                for b in buyers[:r.randint(20, 400)]:
                    t += r.randrange(200, 3 * S)
                    self.emit(t, s, "message", dev, ip, s.country, target=b.id, text=text)

    def lookalikes(self):
        """honest crowds and habits that resemble an attack."""
        r, p = self.r, self.p
        pool = [a for a in self.buyers if a.created < self.t0]
        def take(k, tag, src=None):
            src = src or pool
            out = [a for a in r.sample(src, min(len(src), k)) if a.id not in self.used]
            for a in out:
                a.tags.add(tag)
                self.used.add(a.id)
            return out
        # live rooms: fans arrive together when the show starts, some buy the featured item
        fans_all = set()
        shows = 0
        for c in self.creators:
            fans = take(self.pareto_int(1.0, 20, 1500), "live_fan") + [a for a in r.sample(pool, min(len(pool), 30)) if a.id not in self.used]
            featured = r.sample(self.items, 3)
            p_att = r.uniform(0.08, 0.5)
            for _ in range(r.randint(2, 14)):
                shows += 1
                T = self.local_ts(c.tz, r.randrange(self.days), self.evening_cum)
                dur = r.randrange(30 * M, 150 * M)
                self.emit(T - r.randrange(M, 10 * M), c, "login", c.devs[0], c.home_ip, c.country, status="ok")
                mean = r.uniform(40 * S, 6 * M)
                for f in fans:
                    if r.random() >= p_att:
                        continue
                    fans_all.add(f.id)
                    t = T + int(r.expovariate(1 / mean))
                    dev, ip, ctry = self.ctx(f, t)
                    sess = self.uid("s", 40)
                    self.emit(t, f, "live_view", dev, ip, ctry, sess, target=c.id)
                    if r.random() < 0.04:
                        self.emit(t + r.randrange(S, dur), f, "follow", dev, ip, ctry, target=c.id)
                    if r.random() < 0.08:
                        it = r.choice(featured)
                        tt = t + r.randrange(M, dur)
                        self.emit(tt, f, "view", dev, ip, ctry, sess, it, self.item_seller[it])
                        oid, tt, amt, cur = self.order(f, tt + r.randrange(10 * S, 90 * S), it, dev, ip, ctry, sess,
                                                       coupon=r.choice(["", "LIVE-" + c.id[-4:]]))
                        self.after_order(f, tt, oid, it, amt, cur)
            if r.random() < 0.3:   # the creator asks fans to follow a friend: honest lockstep
                other = r.choice(self.creators)
                T = self.local_ts(c.tz, r.randrange(self.days), self.evening_cum)
                for f in fans:
                    if r.random() < 0.3 and other is not c:
                        dev, ip, ctry = self.ctx(f, T)
                        self.emit(T + int(r.expovariate(1 / (2 * M))), f, "follow", dev, ip, ctry, target=other.id)
        p["live_shows"] = shows
        # flash drops: limited items, honest crowds in the first seconds, resellers buying several
        resellers = take(max(3, int(len(pool) * r.uniform(0.001, 0.004))), "reseller")
        for a in resellers:
            a.buy_p, a.rate = min(0.9, a.buy_p * 3), a.rate * 2
        p["drops"] = []
        for _ in range(r.randint(2, 8)):
            s = r.choice(self.sellers[:max(3, len(self.sellers) // 5)])
            it = r.choice(self.seller_items[s.id])
            da = self.local_ts(s.tz, r.randrange(1, self.days), self.evening_cum) // M * M
            crowd = take(self.pareto_int(1.2, 30, 600), "drop_crowd")
            self.drops.append((it, da))
            p["drops"].append({"item": it, "crowd": len(crowd)})
            mean = r.uniform(3 * S, 60 * S)
            for a in crowd + [x for x in resellers if r.random() < 0.6]:
                t = da - r.randrange(0, 5 * M)
                dev, ip, ctry = self.ctx(a, t)
                sess = self.uid("s", 40)
                self.emit(t, a, "view", dev, ip, ctry, sess, it, s.id)
                t = da + int(r.expovariate(1 / mean))
                q = r.randint(2, 5) if "reseller" in a.tags else 1
                self.emit(t, a, "add_to_cart", dev, ip, ctry, sess, it, s.id, qty=q)
                oid, t, amt, cur = self.order(a, t + r.randrange(2 * S, 20 * S), it, dev, ip, ctry, sess, q, fail_p=0.2)
                self.after_order(a, t, oid, it, amt, cur)
        # coupon days: a push at one hour, honest crowd bursts
        p["coupon_days"] = []
        for _ in range(r.randint(1, 4)):
            day = r.randrange(self.days)
            code = "SALE%d" % r.randrange(10, 99)
            crowd = [a for a in r.sample(pool, min(len(pool), int(len(pool) * r.uniform(0.03, 0.15))))]
            push = self.t0 + day * D + r.randrange(24) * H
            p["coupon_days"].append({"day": day, "code": code, "crowd": len(crowd)})
            for a in crowd:
                a.tags.add("coupon_crowd")
                t = push + int(r.expovariate(1 / (r.choice([5, 20, 90]) * M)))
                self.session(a, t, buy_boost=4, coupon=code)
        # group buys: friends buy one item within minutes with a shared code
        for _ in range(int(len(pool) * r.uniform(0.002, 0.006))):
            g = take(r.randint(3, 10), "group_buy")
            it = self.pick_item()
            T = self.local_ts(g[0].tz if g else 0, r.randrange(self.days))
            code = "GRP-" + self.uid("", 24)
            for a in g:
                t = T + r.randrange(0, 20 * M)
                dev, ip, ctry = self.ctx(a, t)
                oid, t, amt, cur = self.order(a, t, it, dev, ip, ctry, coupon=code)
                self.after_order(a, t, oid, it, amt, cur)
        # campus sign-up day: many new accounts on one IP, each using the welcome coupon
        for _ in range(r.randint(0, 3)):
            ip, T = self.ipv4(), self.t0 + r.randrange(self.days) * D + r.randrange(8 * H, 12 * H)
            c = r.choice(self.countries)
            for _ in range(r.randint(15, 80)):
                a = self.new_acc("buyer", T + r.randrange(10 * H), c)
                a.tags.add("campus_signup")
                dev = a.devs[0]
                a.office = ip
                self.signup(a, dev, ip, c)
                self.session(a, a.created + r.randrange(M, 30 * M), buy_boost=30, coupon=self.welcome)
                self.buyers.append(a)
        # power browsers (compare prices, fast and many views)
        for a in take(max(2, int(len(pool) * r.uniform(0.002, 0.01))), "power_browser"):
            a.views, a.rate = r.uniform(30, 150), a.rate * 3 + 0.3
        # power buyers
        for a in take(max(3, int(len(pool) * r.uniform(0.003, 0.01))), "power_buyer"):
            a.buy_p, a.rate = r.uniform(0.5, 0.9), a.rate * 2 + 0.5
        # serial returners: honest, refund a lot (fashion sizes)
        for a in take(max(3, int(len(pool) * r.uniform(0.003, 0.01))), "serial_returner"):
            a.refund_p, a.buy_p, a.rate = r.uniform(0.3, 0.7), min(0.9, a.buy_p * 2 + 0.1), a.rate + 0.2
        # gift buyers: many gift cards, high amounts
        gifts = [i for i in self.items if self.item_cat[i] in ("gift_cards", "digital", "phones")] or self.items
        for a in take(max(2, int(len(pool) * r.uniform(0.001, 0.004))), "gift_buyer"):
            for _ in range(r.randint(3, 10)):
                t = self.local_ts(a.tz, r.randrange(self.days))
                dev, ip, ctry = self.ctx(a, t)
                it = r.choice(gifts)
                self.order(a, t, it, dev, ip, ctry, qty=r.randint(1, 3))
        # travellers: new place, sometimes new device, then buy normally
        for a in take(max(3, int(len(pool) * r.uniform(0.005, 0.02))), "traveller"):
            dev = a.devs[0] if r.random() < 0.6 else self.uid("dv", 64)
            ctry = r.choice(FOREIGN + list(COUNTRIES))
            day0 = r.randrange(self.days)
            for d in range(day0, min(self.days, day0 + r.randint(2, 10))):
                t = self.local_ts(a.tz, d)
                ip = self.ipv4()
                self.emit(t, a, "login", dev, ip, ctry, status="ok")
                if r.random() < 0.4:
                    it = self.pick_item()
                    self.emit(t + 30 * S, a, "view", dev, ip, ctry, item=it, seller=self.item_seller[it])
                    self.order(a, t + 2 * M, it, dev, ip, ctry)
        # movers / new phones: reset, new device, new address
        for a in take(max(3, int(len(pool) * r.uniform(0.003, 0.01))), "new_phone"):
            t = self.local_ts(a.tz, r.randrange(self.days))
            a.devs.append(self.uid("dv", 64))
            dev, ip = a.devs[-1], a.home_ip
            self.emit(t, a, "password_reset", dev, ip, a.country)
            self.emit(t + r.randrange(M, 10 * M), a, "login", dev, ip, a.country, status="ok")
            if r.random() < 0.5:
                a.addr = self.uid("ad_", 40)
                self.emit(t + r.randrange(10 * M, 3 * D), a, "address_change", dev, ip, addr=a.addr)
        p["lookalike_counts"] = {}

    # ---- fraud
    def mark(self, a, attack, gid):
        a.label, a.attack, a.group = "fraud", attack, gid
        self.used.add(a.id)

    def group(self, fam, variant, params):
        k = sum(1 for g in self.groups if g.startswith(fam + "-")) + 1
        gid = "%s-%d" % (fam, k)
        self.groups[gid] = variant
        self.gparams[gid] = params
        return gid

    def fresh(self, attack, gid, created=None, country=None, aged=False, dev=None, ip=None, ctry=None, email=None):
        r = self.r
        if aged:
            created = self.t0 - r.randrange(20 * D, 700 * D)
        elif created is None:
            created = self.t0 + r.randrange(max(1, (self.days - 3) * D))
        a = self.new_acc("buyer", created, country)
        self.mark(a, attack, gid)
        if email:
            a.email = email
        a.rate, a.buy_p, a.login_p, a.review_p, a.refund_p = 0.1, 0.1, 0.5, 0.1, 0.0
        if not aged:
            self.signup(a, dev or a.devs[0], ip or a.home_ip, ctry or a.country, app=r.choice(["", "web"]))
        return a

    def infra(self, style, country):
        """a callable giving (ip, country) per action for an infrastructure style."""
        r = self.r
        if style == "datacenter":
            blocks = r.sample(self.dc_blocks, r.randint(1, 3))
            return lambda: (self.dc_ip(r.choice(blocks)), country)
        if style == "resproxy":
            return lambda: (self.ipv4(), country)
        if style == "mobile_proxy":
            pool = r.choice(self.carriers.get(country) or [[self.ipv4()]])
            return lambda: (r.choice(pool), country)
        if style == "one_ip":
            ip = self.ipv4()
            return lambda: (ip, country)
        fc = r.choice(FOREIGN)
        return lambda: (self.ipv4(), fc)   # foreign

    def cover(self, a, k):
        """some honest-looking browsing so an attack account is not empty."""
        r = self.r
        for _ in range(k):
            t = self.local_ts(a.tz, r.randrange(max(0, (a.created - self.t0) // D), self.days))
            if t > a.created:
                self.session(a, t, buy_boost=0.5)

    def budget(self, n, lo, hi):
        return min(n, self.r.randint(lo, hi))

    def takeovers(self, total):
        r = self.r
        victims_pool = [a for a in self.buyers if a.created < self.t0 - 30 * D and a.id not in self.used]
        gifts = [i for i in self.items if self.item_cat[i] in ("gift_cards", "digital")] or self.items
        pricey = sorted(self.items, key=lambda i: -self.item_price[i] / COUNTRIES[[c for c in COUNTRIES if COUNTRIES[c][1] == self.item_cur[i]][0]][2])[:max(20, len(self.items) // 20)]
        while total > 0:
            entry = r.choice(["sim_swap", "credential_stuffing", "session_theft", "phishing"])
            reset = {"sim_swap": r.random() < 0.85, "credential_stuffing": r.random() < 0.25, "session_theft": False,
                     "phishing": r.random() < 0.35}[entry]
            goal = r.choice(["drain_wallet", "reship", "new_card"])
            place = r.choice(["foreign", "resproxy", "mobile_proxy", "datacenter"])
            size = self.budget(total, 1, {"credential_stuffing": 14, "phishing": 6}.get(entry, 3))
            sleeper = r.random() < 0.3
            total -= size
            gid = self.group("ato", {"entry": entry, "reset": reset, "goal": goal, "place": place, "sleeper": sleeper, "size": size}, {})
            vs = r.sample(victims_pool, size)
            victims_pool = [v for v in victims_pool if v not in vs]
            shared_dev = self.uid("dv", 64) if r.random() < 0.5 else None
            drop_addr = self.uid("ad_", 40)
            stolen = self.uid("pm_", 48)
            T0 = self.t0 + r.randrange(2 * D, max(3 * D, (self.days - 4) * D))
            if entry == "credential_stuffing":
                net = self.infra("datacenter" if r.random() < 0.6 else "resproxy", r.choice(FOREIGN))
                bystanders = [a for a in r.sample(self.buyers, min(len(self.buyers), size * r.randint(5, 30))) if a.id not in self.used]
                for a in bystanders + vs:
                    if a.label == "legit":
                        a.tags.add("login_failures")
                    for _ in range(r.randint(1, 3)):
                        ip, c = net()
                        self.emit(T0 + r.randrange(3 * H), a, "login", shared_dev or self.uid("dv", 64), ip, c, status="fail")
            for v in vs:
                self.mark(v, "ato", gid)
                v.tags = set()
                net = self.infra(place, v.country if place != "foreign" else None)
                dev = shared_dev or self.uid("dv", 64)
                t = T0 + r.randrange(0, 3 * H if entry == "credential_stuffing" else 2 * D)
                ip, c = net()
                if reset:
                    self.emit(t, v, "password_reset", dev, ip, c)
                    t += r.randrange(30 * S, 20 * M)
                if entry != "session_theft":
                    if r.random() < 0.3:
                        self.emit(t, v, "login", dev, ip, c, status="fail")
                        t += r.randrange(5 * S, 60 * S)
                    self.emit(t, v, "login", dev, ip, c, status="ok")
                if r.random() < 0.4:
                    self.emit(t + r.randrange(M, 10 * M), v, "email_change", dev, ip, c)
                if sleeper:
                    t += r.randrange(D, 5 * D)
                    ip, c = net()
                t += r.randrange(M, 30 * M)
                sess = self.uid("s", 40)
                if goal == "reship":
                    self.emit(t, v, "address_change", dev, ip, c, addr=drop_addr)
                    t += r.randrange(M, 20 * M)
                n_ord = r.randint(1, 6)
                for _ in range(n_ord):
                    it = r.choice(gifts if goal == "drain_wallet" else pricey)
                    self.emit(t, v, "view", dev, ip, c, sess, it, self.item_seller[it])
                    t += r.randrange(10 * S, 3 * M)
                    card = stolen if goal == "new_card" else v.cards[0]
                    _, t, _, _ = self.order(v, t, it, dev, ip, c, sess, qty=r.randint(1, 3),
                                            addr=drop_addr if goal == "reship" else v.addr, card=card, fail_p=0.15)
                    t += r.randrange(20 * S, 10 * M)

    def brushing(self, total):
        r = self.r
        small = self.sellers[max(5, len(self.sellers) // 10):]
        cheap_of = lambda s: sorted(self.seller_items[s.id], key=lambda i: self.item_price[i])[:3]
        while total > 0:
            mode = r.choice(["many_sellers", "few_buyers", "self_ship"])
            style = r.choice(["datacenter", "resproxy", "mobile_proxy", "one_ip", "foreign"])
            text = r.choice(["short", "copied", "templated", "none"])
            n_s = r.randint(2, 6) if mode == "many_sellers" else 1
            n_b = {"many_sellers": r.randint(8, 60), "few_buyers": r.randint(3, 8), "self_ship": r.randint(5, 25)}[mode]
            n_b = max(2, min(n_b, total - n_s))
            total -= n_b + n_s
            campaign_days = r.randint(3, self.days)
            gid = self.group("brushing", {"mode": mode, "infra": style, "text": text, "role": "buyer", "size": n_b},
                             {"campaign_days": campaign_days})
            sgid = self.group("brushing", {"mode": mode, "infra": style, "text": text, "role": "seller", "size": n_s}, {})
            sellers = [s for s in r.sample(small, min(len(small), n_s)) if s.id not in self.used]
            for s in sellers:
                self.mark(s, "brushing", sgid)
                s.tags = set()
            net = self.infra(style, r.choice(self.countries))
            cards = [self.uid("pm_", 48) for _ in range(r.randint(1, 4))]
            addrs = [self.uid("ad_", 40) for _ in range(r.randint(1, 10))] if mode != "self_ship" else [self.uid("ad_", 40)]
            copied = r.sample(LONG, 3)
            d0 = r.randrange(0, max(1, self.days - campaign_days + 1))
            aged = r.random() < 0.4
            buyers = []
            for _ in range(n_b):
                ip, c = net()
                a = self.fresh("brushing", gid, aged=aged, created=self.t0 + r.randrange(max(1, d0) * D) if d0 > 0 and not aged else None,
                               ip=ip, ctry=c)
                a.cards = [r.choice(cards)]
                buyers.append(a)
                if r.random() < 0.5:
                    self.cover(a, r.randint(1, 5))
            per = {"many_sellers": (1, 3), "few_buyers": (8, 40), "self_ship": (2, 6)}[mode]
            for a in buyers:
                for s in sellers:
                    for _ in range(r.randint(*per)):
                        t = max(a.created + H, self.local_ts(a.tz, d0 + r.randrange(campaign_days)))
                        ip, c = net()
                        dev = a.devs[0]
                        it = r.choice(cheap_of(s) if r.random() < 0.7 else self.seller_items[s.id])
                        sess = self.uid("s", 40)
                        self.emit(t, a, "view", dev, ip, c, sess, it, s.id)
                        t += r.randrange(3 * S, 40 * S)
                        oid, t, _, _ = self.order(a, t, it, dev, ip, c, sess, addr=r.choice(addrs), card=a.cards[0], fail_p=0)
                        if text != "none" and r.random() < 0.9:
                            txt = {"short": r.choice(SHORT), "copied": r.choice(copied),
                                   "templated": "Very good %s, %s, thank you seller" % (self.item_cat[it], r.choice(["fast", "cheap", "nice"]))}[text]
                            self.review(a, t + r.randrange(D, 4 * D), oid, it, 5 if r.random() < 0.93 else 4, txt, dev, net()[0])

    def click_farms(self, total):
        r = self.r
        while total > 0:
            style = r.choice(["phone_farm", "emulator", "crowd_workers"])
            target = r.choice(["live_view", "follow", "view", "mixed"])
            size = self.budget(total, 12, 150)
            total -= size
            participation = round(r.uniform(0.3, 1.0), 2)
            window = r.choice([2, 5, 10, 20, 45, 90, 120])
            bursts = r.randint(5, 40)
            gid = self.group("click_farm", {"style": style, "target": target, "size": size, "participation": participation,
                                            "window_min": window}, {"bursts": bursts})
            country = r.choice(self.countries) if style != "crowd_workers" else None
            net = self.infra({"phone_farm": "mobile_proxy", "emulator": "one_ip", "crowd_workers": "foreign"}[style], country)
            created = self.t0 + r.randrange(max(1, self.days // 3) * D) if r.random() < 0.6 else None
            members = []
            for _ in range(size):
                ip, c = net()
                a = self.fresh("click_farm", gid, created=(created + r.randrange(6 * H)) if created else None,
                               aged=created is None and r.random() < 0.5, ip=ip, ctry=c)
                if style == "emulator" and r.random() < 0.5:
                    a.devs = [self.uid("emu", 32)]
                members.append(a)
                if r.random() < 0.4:
                    self.cover(a, r.randint(1, 4))
            creator = r.choice(self.creators)
            seller = r.choice(self.sellers[1:])
            for _ in range(bursts):
                T = self.t0 + r.randrange(self.days * D)
                for a in members:
                    if r.random() >= participation or T < a.created:
                        continue
                    t = T + r.randrange(window * M)
                    ip, c = net()
                    dev, sess = a.devs[0], self.uid("s", 40)
                    kinds = [target] if target != "mixed" else r.sample(["live_view", "follow", "view", "like"], r.randint(1, 3))
                    for k in kinds:
                        if k == "live_view":
                            self.emit(t, a, "live_view", dev, ip, c, sess, target=creator.id)
                        elif k == "follow":
                            self.emit(t, a, "follow", dev, ip, c, target=r.choice([creator.id, seller.id]))
                        elif k == "like":
                            self.emit(t, a, "like", dev, ip, c, target=creator.id)
                        else:
                            for it in r.sample(self.seller_items[seller.id], min(len(self.seller_items[seller.id]), r.randint(1, 5))):
                                self.emit(t, a, "view", dev, ip, c, sess, it, seller.id)
                                t += r.randrange(2 * S, 20 * S)
                        t += r.randrange(S, 30 * S)

    def deal_hunters(self, total):
        r = self.r
        while total > 0:
            var = r.choice(["one_card", "one_address", "one_device", "referral_chain", "email_alias"])
            size = self.budget(total, 4, 40)
            total -= size
            spread = r.choice([1, 2, 7, self.days])
            gid = self.group("deal_hunter", {"variant": var, "size": size}, {"spread_days": spread})
            card, addr, dev = self.uid("pm_", 48), self.uid("ad_", 40), self.uid("dv", 64)
            # address jigging: variants of one address get distinct fingerprints
            addrs = [addr] if r.random() < 0.5 else [self.uid("ad_", 40) for _ in range(r.randint(2, 6))]
            net = self.infra(r.choice(["resproxy", "one_ip", "mobile_proxy", "datacenter"]), r.choice(self.countries))
            base = r.choice(NAMES) + str(r.randrange(100))
            dom = r.choice(DOMAINS + THROWAWAY)
            d0 = r.randrange(0, max(1, self.days - spread))
            ref = "REF-" + self.uid("", 24)
            for i in range(size):
                ip, c = net()
                created = self.t0 + (d0 + r.randrange(spread)) * D + r.randrange(D)
                email = "%s+%d@%s" % (base, i, dom) if var == "email_alias" else None
                a = self.fresh("deal_hunter", gid, created=created, ip=ip, ctry=c, email=email,
                               dev=dev if var == "one_device" else None)
                if var == "one_device":
                    a.devs = [dev]
                a.cards = [card] if var == "one_card" else [self.uid("pm_", 48)]
                a.addr = r.choice(addrs) if var in ("one_address", "one_card") else a.addr
                t = created + r.randrange(2 * M, 2 * H)
                code = ref if var == "referral_chain" else self.welcome
                it = self.pick_item()
                sess = self.uid("s", 40)
                self.emit(t, a, "view", a.devs[0], ip, c, sess, it, self.item_seller[it])
                oid, t, _, _ = self.order(a, t + r.randrange(20 * S, 5 * M), it, a.devs[0], ip, c, sess, coupon=code, card=a.cards[0])
                if r.random() < 0.4:
                    for _ in range(r.randint(1, 3)):   # more promotions, never a full-price order
                        t += r.randrange(H, 5 * D)
                        it = self.pick_item()
                        ip, c = net()
                        self.order(a, t, it, a.devs[0], ip, c, coupon=r.choice(["SALE%d" % r.randrange(10, 99), code]), card=a.cards[0])

    def scalpers(self, total):
        r = self.r
        if not self.drops:
            return
        while total > 0:
            var = r.choice(["spread_accounts", "bot_checkout", "address_jig"])
            size = self.budget(total, 3, 30) if var != "bot_checkout" else self.budget(total, 1, 5)
            total -= size
            gid = self.group("scalper", {"variant": var, "size": size}, {})
            net = self.infra("datacenter" if var == "bot_checkout" else r.choice(["resproxy", "mobile_proxy", "one_ip"]), r.choice(self.countries))
            card = self.uid("pm_", 48)
            members = [self.fresh("scalper", gid, aged=r.random() < 0.5, ip=net()[0]) for _ in range(size)]
            for a in members:
                if var != "bot_checkout" and r.random() < 0.5:
                    self.cover(a, r.randint(1, 4))
                if var == "address_jig":
                    a.addr, a.cards = self.uid("ad_", 40), [card]
            drops = r.sample(self.drops, r.randint(1, len(self.drops)))
            for it, da in drops:
                s = self.item_seller[it]
                for a in members:
                    if da < a.created:
                        continue
                    ip, c = net()
                    dev, sess = a.devs[0], self.uid("s", 40)
                    if var == "bot_checkout":
                        t = da + r.randrange(200, 3 * S)
                        q = r.randint(3, 10)
                    else:
                        t = da + r.randrange(S, 40 * S)
                        q = r.randint(1, 2)
                        self.emit(t - r.randrange(S, 5 * M), a, "view", dev, ip, c, sess, it, s)
                    self.emit(t, a, "add_to_cart", dev, ip, c, sess, it, s, qty=q)
                    self.order(a, t + r.randrange(300, 4 * S), it, dev, ip, c, sess, q, fail_p=0.1)

    def scrapers(self, total):
        r = self.r
        while total > 0:
            var = r.choice(["rotating_ips", "slow_crawler", "headless_fleet"])
            size = self.budget(total, 1, 2) if var != "headless_fleet" else self.budget(total, 3, 20)
            total -= size
            period = round(r.choice([r.uniform(0.5, 5), r.uniform(5, 30), r.uniform(30, 120)]), 2)
            jitter = round(r.uniform(0.02, 0.5), 2)
            hours = r.choice([2, 6, 12, 24])
            gid = self.group("scraper", {"variant": var, "size": size, "period_s": period}, {"jitter": jitter, "hours_per_day": hours})
            net = self.infra("resproxy" if var == "rotating_ips" else r.choice(["datacenter", "one_ip"]), r.choice(self.countries))
            members = [self.fresh("scraper", gid, aged=r.random() < 0.5, ip=net()[0]) for _ in range(size)]
            order = self.items[:]
            r.shuffle(order) if r.random() < 0.5 else order.sort()
            for k, a in enumerate(members):
                mine = order[k::size]
                budget = r.randint(500, 4000) if var == "headless_fleet" else r.randint(1000, 8000)
                dev = a.devs[0]
                ip, c = net()
                day = max(0, (a.created - self.t0) // D)
                pos, n = 0, 0
                while n < budget and day < self.days:
                    t = self.t0 + day * D + r.randrange(24 - min(23, hours)) * H
                    end = t + hours * H
                    if r.random() < 0.3:
                        self.emit(t, a, "login", dev, ip, c, status="ok")
                    sess = self.uid("s", 40)
                    while t < end and n < budget:
                        it = mine[pos % len(mine)]
                        pos += 1
                        if var == "rotating_ips":
                            ip, c = net()
                        self.emit(t, a, "view", dev, ip, c, sess, it, self.item_seller[it])
                        n += 1
                        t += int(period * S * (1 + r.uniform(-jitter, jitter)))
                    day += r.randint(1, 3)

    def spammers(self, total):
        r = self.r
        while total > 0:
            var = r.choice(["dm_buyers", "review_spam", "follow_dm"])
            size = self.budget(total, 3, 40)
            total -= size
            gid = self.group("spam", {"variant": var, "size": size}, {})
            net = self.infra(r.choice(["datacenter", "resproxy", "foreign", "one_ip"]), r.choice(self.countries))
            tmpl = r.sample(SPAM, 2)
            url = "%s.%s/%s" % (self.uid("", 24), r.choice(["xyz", "top", "shop", "ly"]), self.uid("", 16))
            victim_seller = max(self.seller_orders, key=lambda s: len(self.seller_orders[s]) if s != self.mega else 0)
            targets = self.seller_orders.get(victim_seller, []) or self.buyers[:100]
            cheap = sorted(self.items, key=lambda i: self.item_price[i])[:200]
            for _ in range(size):
                ip, c = net()
                a = self.fresh("spam", gid, ip=ip, ctry=c, email="%s@%s" % (self.uid("", 32), r.choice(THROWAWAY + DOMAINS)))
                t = a.created + r.randrange(M, 2 * H)
                dev = a.devs[0]
                k = r.randint(15, 250)
                for j in range(k):
                    ip2 = net()[0] if r.random() < 0.3 else ip
                    text = r.choice(tmpl).format(p=r.choice(["$100", "$500", "1000 PHP"]), u=url, n=r.randrange(100, 99999), h=self.uid("", 20))
                    if j % 7 == 0:
                        text = text.replace("a", "а").replace("o", "0")   # obfuscated
                    if var == "review_spam":
                        it = r.choice(cheap)
                        oid, t, _, _ = self.order(a, t, it, dev, ip2, c, fail_p=0)
                        self.review(a, t + r.randrange(H, D), oid, it, r.choice([1, 5]), text, dev, ip2)
                    else:
                        tgt = r.choice(targets).id if var == "dm_buyers" else r.choice(self.creators).id
                        if var == "follow_dm":
                            self.emit(t, a, "follow", dev, ip2, c, target=tgt)
                        self.emit(t + r.randrange(S, 20 * S), a, "message", dev, ip2, c, target=tgt, text=text)
                    t += int(r.expovariate(1 / (r.choice([20, 120, 900]) * S))) + S

    def refund_abuse(self, total):
        r = self.r
        pricey = [i for i in self.items if self.item_cat[i] in ("electronics", "phones", "sneakers", "fashion", "beauty")] or self.items
        while total > 0:
            var = r.choice(["not_received", "empty_box", "damaged_partial"])
            ring = r.random() < 0.6
            size = self.budget(total, 3, 25) if ring else 1
            total -= size
            p_ref = round(r.uniform(0.45, 0.95), 2)
            share = r.choice(["address", "card", "both", "none"]) if ring else "none"
            gid = self.group("refund_abuse", {"variant": var, "ring": ring, "shares": share, "size": size, "p_refund": p_ref}, {})
            addrs = [self.uid("ad_", 40) for _ in range(r.randint(1, 3))]
            cards = [self.uid("pm_", 48) for _ in range(r.randint(1, 3))]
            for _ in range(size):
                a = self.fresh("refund_abuse", gid, aged=r.random() < 0.7)
                if share in ("address", "both"):
                    a.addr = r.choice(addrs)
                if share in ("card", "both"):
                    a.cards = [r.choice(cards)]
                self.cover(a, r.randint(1, 6))
                for _ in range(r.randint(3, 14)):
                    t = self.local_ts(a.tz, r.randrange(max(0, (a.created - self.t0) // D), self.days))
                    dev, ip, c = self.ctx(a, t)
                    it = r.choice(pricey)
                    sess = self.uid("s", 40)
                    self.emit(t, a, "view", dev, ip, c, sess, it, self.item_seller[it])
                    oid, t, amt, cur = self.order(a, t + r.randrange(30 * S, 10 * M), it, dev, ip, c, sess)
                    if r.random() < p_ref:
                        reason, text = {"not_received": ("not_received", r.choice(INR_TEXT)),
                                        "empty_box": (r.choice(["item_missing", "wrong_item", "not_as_described"]), r.choice(EMPTY_TEXT)),
                                        "damaged_partial": ("damaged", r.choice(["arrived broken", "scratched", "doesn't turn on", ""]))}[var]
                        if var == "damaged_partial":
                            amt = self.fmt_amount(float(amt) * r.uniform(0.3, 0.7), cur)
                        self.emit(t + r.randrange(2 * D, 12 * D), a, "refund", order=oid, amount=amt, cur=cur, status=reason, text=text)

    def generate(self):
        r = self.r
        self.build()
        self.evening_cum = list(self._cum([w * (3 if 18 <= h <= 22 else 1) for h, w in enumerate(HOURS)]))
        self.welcome = "WELCOME" + str(r.choice([5, 10, 15, 20]))
        self.p["welcome_use"] = round(r.uniform(0.2, 0.7), 2)
        self.lookalikes()
        self.legit()
        frac = r.uniform(0.025, 0.04)
        fams = ["ato", "brushing", "click_farm", "deal_hunter", "scalper", "scraper", "spam", "refund_abuse"]
        w = [r.uniform(0.4, 1.6) for _ in fams]
        total = frac * len(self.accs)
        budgets = {f: max(6, int(total * x / sum(w))) for f, x in zip(fams, w)}
        self.p.update(fraud_fraction=round(frac, 4), budgets=budgets)
        for f in fams:
            getattr(self, {"ato": "takeovers", "brushing": "brushing", "click_farm": "click_farms", "deal_hunter": "deal_hunters",
                           "scalper": "scalpers", "scraper": "scrapers", "spam": "spammers", "refund_abuse": "refund_abuse"}[f])(budgets[f])
        if self.hard:
            self.honest_hard()

    # ---- --honest-hard: honest people the detection reviews named, tagged, drawn after everything else
    def honest_hard(self):
        """Adds honest populations that last session's reviews (review40, 40b-e) said a sign would
        report and that no generator made. Drawn after the whole world from a random stream of
        their own, so the rest of the marketplace is the same draw as without the option; the
        event file's formatting draws differ because it holds more rows. Every parameter is drawn
        wide, as an analyst would describe the people, not from any detector's rule."""
        main_r = self.r
        self.r = random.Random("bazaar-honest-hard-%d" % self.seed)
        try:
            self._honest_hard()
        finally:
            self.r = main_r

    def _hh_buyer(self, created, country, tag):
        r = self.r
        a = self.new_acc("buyer", created, country)
        a.rate = min(2.0, r.lognormvariate(math.log(0.12), 1.0))
        a.buy_p = min(0.9, r.betavariate(1.5, 8))
        a.login_p, a.mobile_p, a.views = r.uniform(0.05, 0.6), r.betavariate(2, 1.5), r.uniform(2, 9)
        a.review_p, a.refund_p = r.betavariate(1, 4), self.p["base_refund"] * r.uniform(0.3, 2)
        a.tags.add(tag)
        self.used.add(a.id)
        self.buyers.append(a)
        return a

    def _hh_life(self, a, rate=None, after=None):
        """ordinary shopping from the account's own places after `after` (default: its creation)."""
        r = self.r
        after = max(after or a.created, self.t0)
        d0 = (after - self.t0) // D
        for _ in range(self.poisson((a.rate if rate is None else rate) * max(0, self.days - d0))):
            t = self.local_ts(a.tz, r.randrange(d0, self.days))
            if t > after + 10 * M:
                self.session(a, t)

    def _hh_shop(self, a, t, dev, ip, ctry, coupon="", item=None, qty=1, addr=None, login=None, reasons=None):
        """one visit that ends in an order: a login (sometimes), a few views, the cart, the order."""
        r = self.r
        sess = self.uid("s", 40)
        if login if login is not None else r.random() < a.login_p:
            self.emit(t, a, "login", dev, ip, ctry, status="ok")
            t += r.randrange(5 * S, 90 * S)
        it = item
        for _ in range(r.randint(1, 5)):
            it = item or self.pick_item(it)
            self.emit(t, a, "view", dev, ip, ctry, sess, it, self.item_seller[it])
            t += r.randrange(3 * S, 60 * S)
        self.emit(t, a, "add_to_cart", dev, ip, ctry, sess, it, self.item_seller[it], qty=qty)
        t += r.randrange(10 * S, 200 * S)
        oid, t, amt, cur = self.order(a, t, it, dev, ip, ctry, sess, qty, coupon, addr=addr)
        self.after_order(a, t, oid, it, amt, cur, reasons)
        return oid, t, amt, cur, it

    def _hh_weekday_work(self, tz, day):
        """a time in office hours on `day` or the next weekday, in local time tz."""
        r = self.r
        while ((self.t0 + day * D + tz * H) // D + 3) % 7 >= 5 and day < self.days - 1:
            day += 1
        return self.t0 + day * D + int((r.uniform(9, 17.5) - tz) * H)

    def _honest_hard(self):
        r, p = self.r, self.p
        pool = [a for a in self.buyers if a.created < self.t0 - 7 * D and a.label == "legit" and a.id not in self.used]
        counts = {}
        def take(lo, hi, tag, src=None, least=20, k=None):
            src = [a for a in (src if src is not None else pool) if a.id not in self.used]
            out = r.sample(src, min(len(src), k if k is not None else max(least, int(len(pool) * r.uniform(lo, hi)))))
            for a in out:
                a.tags.add(tag)
                self.used.add(a.id)
            return out
        def block():
            return "%d.%d.%d" % tuple(int(x) for x in self.ipv4().split(".")[:3])
        def late(a, t):   # an account's visit, never before it exists
            return max(t, a.created + r.randrange(M, 30 * M))

        # early_fan (review40 S2): regulars of the drops whose speed is their own — notifications on, card saved —
        # so they are at the head of every rush they join; they look at the item before it opens and shop besides.
        # They are a tenth to a third of a drop's usual crowd (more would make them the crowd).
        if len(self.drops) >= 1:
            crowd = sum(d["crowd"] for d in p["drops"]) / len(p["drops"])
            for a in take(0, 0, "early_fan", k=max(4, int(crowd * r.uniform(0.1, 0.35)))):
                speed, lead, attend = r.uniform(0.4, 6.0), r.uniform(1, 30), r.uniform(0.5, 1.0)
                for it, da in self.drops:
                    if r.random() >= attend:
                        continue
                    s = self.item_seller[it]
                    t = da - int(r.uniform(0.1, 1.0) * lead * M)
                    dev, ip, ctry = self.ctx(a, t)
                    sess = self.uid("s", 40)
                    for _ in range(r.randint(1, 4)):
                        self.emit(t, a, "view", dev, ip, ctry, sess, it, s)
                        t += r.randrange(5 * S, 120 * S)
                        if t >= da:
                            break
                    t = da + int(r.expovariate(1 / (speed * S)))
                    q = 1 if r.random() < 0.85 else 2
                    self.emit(t, a, "add_to_cart", dev, ip, ctry, sess, it, s, qty=q)
                    oid, t, amt, cur = self.order(a, t + r.randrange(S, 8 * S), it, dev, ip, ctry, sess, q, fail_p=0.1)
                    self.after_order(a, t, oid, it, amt, cur)
            # split_order (review40 S3): one person buys two units at a drop as two orders seconds apart
            # (one per order allowed), at an ordinary crowd's speed
            for a in take(0, 0, "split_order", k=max(4, int(crowd * r.uniform(0.1, 0.35)))):
                for it, da in r.sample(self.drops, r.randint(1, min(2, len(self.drops)))):
                    s = self.item_seller[it]
                    t = da - r.randrange(0, 10 * M)
                    dev, ip, ctry = self.ctx(a, t)
                    sess = self.uid("s", 40)
                    self.emit(t, a, "view", dev, ip, ctry, sess, it, s)
                    t = da + int(r.expovariate(1 / (r.uniform(3, 60) * S)))
                    for _ in range(r.randint(2, 3)):
                        self.emit(t, a, "add_to_cart", dev, ip, ctry, sess, it, s, qty=1)
                        oid, t, amt, cur = self.order(a, t + r.randrange(S, 6 * S), it, dev, ip, ctry, sess, 1, fail_p=0.1)
                        t += r.randrange(3 * S, 40 * S)

        # staff_code (review40b N1): a small business's or company's staff code, used by its people from the
        # office's own /24 in working hours; most open their store account for it, each ships home
        for _ in range(r.randint(3, 8)):
            ctry = r.choice(self.countries)
            tz = COUNTRIES[ctry][0]
            blk = block()
            ips = ["%s.%d" % (blk, r.randrange(2, 250)) for _ in range(r.randint(1, 3))]
            code = "STAFF-" + self.uid("", 24)
            day0, spread, new_share = r.randrange(self.days - 1), r.choice([0.5, 1, 3, 7, 14]), r.uniform(0.5, 1.0)
            local = [a for a in pool if a.country == ctry and a.id not in self.used]
            for _ in range(self.pareto_int(1.3, 5, 60)):
                t = self._hh_weekday_work(tz, min(self.days - 1, day0 + int(r.expovariate(1 / spread))))
                ip = r.choice(ips)
                if r.random() < new_share or not local:
                    a = self._hh_buyer(t, ctry, "staff_code")
                    self.signup(a, a.devs[0], ip, ctry)
                    t += r.randrange(M, 20 * M)
                else:
                    a = local.pop(r.randrange(len(local)))
                    a.tags.add("staff_code")
                    self.used.add(a.id)
                a.office = ip
                self._hh_shop(a, t, a.devs[0], ip, ctry, coupon=code)
                self._hh_life(a, after=t)

        # resort_code (review40b N1, N2): a resort's or hotel's code handed out at reception; guests from many
        # countries sign up on the hotel's Wi-Fi during their stay, a few have it sent to the hotel
        for _ in range(r.randint(2, 5)):
            ctry = r.choice(self.countries)
            blk = block()
            ips = ["%s.%d" % (blk, r.randrange(2, 250)) for _ in range(r.randint(1, 2))]
            code, hotel_addr, to_hotel = "RESORT-" + self.uid("", 24), self.uid("ad_", 40), r.uniform(0, 0.5)
            tz = COUNTRIES[ctry][0]
            for _ in range(self.pareto_int(1.2, 8, 80)):
                day, stay = r.randrange(self.days - 1), r.randint(2, 10)
                home = ctry if r.random() < 0.3 else r.choice(list(COUNTRIES) + FOREIGN)
                t = self.local_ts(tz, day)
                a = self._hh_buyer(t, home, "resort_code")
                ip = r.choice(ips)
                self.signup(a, a.devs[0], ip, ctry)
                self._hh_shop(a, t + r.randrange(M, 3 * H), a.devs[0], ip, ctry, coupon=code,
                              addr=hotel_addr if r.random() < to_hotel else None)
                for d in range(day + 1, min(self.days, day + stay)):
                    if r.random() < 0.3:
                        t2 = self.local_ts(tz, d)
                        sess = self.uid("s", 40)
                        it = self.pick_item()
                        self.emit(t2, a, "view", a.devs[0], r.choice(ips), ctry, sess, it, self.item_seller[it])
                if r.random() < 0.4:
                    self._hh_life(a, rate=a.rate * 0.5, after=self.t0 + min(self.days - 1, day + stay) * D)

        # friends_code (review40b N1): a family-and-friends code passed round at a party; friends sign up on the
        # host's home network that evening, each ships to their own address
        for _ in range(r.randint(3, 12)):
            src = [a for a in pool if a.id not in self.used]
            if not src:
                break
            host = r.choice(src)
            host.tags.add("friends_code")
            self.used.add(host.id)
            code = "FRIENDS-" + self.uid("", 24)
            T = self.local_ts(host.tz, r.randrange(self.days), self.evening_cum)
            self._hh_shop(host, T - r.randrange(M, 2 * H), host.devs[-1], host.home_ip, host.country, coupon=code)
            for _ in range(r.randint(3, 20)):
                a = self._hh_buyer(T + r.randrange(4 * H), host.country, "friends_code")
                self.signup(a, a.devs[0], host.home_ip, host.country)
                if r.random() < 0.8:
                    self._hh_shop(a, a.created + r.randrange(M, 40 * M), a.devs[0], host.home_ip, host.country, coupon=code)
                else:   # ordered from home the next days
                    t = a.created + r.randrange(H, 3 * D)
                    dev, ip, c = self.ctx(a, t)
                    self._hh_shop(a, t, dev, ip, c, coupon=code)
                self._hh_life(a, after=a.created + H)

        # club_code (review40b N1): parents at a school evening, or a club, sign up on the building's /24 for
        # the school's or club's code; some already had an account
        for _ in range(r.randint(2, 4)):
            ctry = r.choice(self.countries)
            tz = COUNTRIES[ctry][0]
            blk = block()
            ips = ["%s.%d" % (blk, r.randrange(2, 250)) for _ in range(r.randint(1, 4))]
            code = r.choice(["SCHOOL-", "CLUB-", "PTA-"]) + self.uid("", 24)
            T = self.t0 + r.randrange(self.days) * D + int((r.uniform(17, 20) - tz) * H)
            new_share = r.uniform(0.3, 0.9)
            local = [a for a in pool if a.country == ctry and a.id not in self.used]
            for _ in range(self.pareto_int(1.3, 10, 80)):
                t = T + r.randrange(2 * H)
                ip = r.choice(ips)
                if r.random() < new_share or not local:
                    a = self._hh_buyer(t, ctry, "club_code")
                    self.signup(a, a.devs[0], ip, ctry)
                else:
                    a = local.pop(r.randrange(len(local)))
                    a.tags.add("club_code")
                    self.used.add(a.id)
                if r.random() < 0.7:
                    self._hh_shop(a, late(a, t), a.devs[0], ip, ctry, coupon=code)
                else:
                    t2 = late(a, t + r.randrange(H, 4 * D))
                    dev, ip2, c = self.ctx(a, t2)
                    self._hh_shop(a, t2, dev, ip2, c, coupon=code)
                self._hh_life(a, after=t)

        # refund_before_log (review40c 1): refunds, in the log, of orders placed before it starts
        for a in take(0.003, 0.01, "refund_before_log"):
            for _ in range(r.randint(1, 3)):
                it, q = self.pick_item(), 1 if r.random() < 0.85 else 2
                amt = self.fmt_amount(self.item_price[it] * q, self.item_cur[it])
                reason = r.choices(*self.refund_reasons)[0]
                text = r.choice(INR_TEXT) if reason == "not_received" else r.choice(["", "", "size too small", "not as pictured", "broken"])
                self.emit(self.t0 + int(r.uniform(0, min(self.days, 21)) * D), a, "refund", order=self.uid("o"), amount=amt,
                          cur=self.item_cur[it], status=reason, text=text)

        # restocking_fee (review40c 1): returns where the shop keeps a fee (a share of the price, or from the
        # customer's n-th return on), so the refund is less than the order
        for a in take(0.002, 0.008, "restocking_fee"):
            fee, free = r.choice([0.05, 0.1, 0.15, 0.2, 0.25]), r.randint(0, 2)
            returns = 0
            for _ in range(r.randint(2, 7)):
                t = late(a, self.local_ts(a.tz, r.randrange(self.days)))
                dev, ip, c = self.ctx(a, t)
                oid, t, amt, cur, it = self._hh_shop(a, t, dev, ip, c)
                if r.random() < r.uniform(0.3, 0.8):
                    returns += 1
                    x = float(amt) * (1 - fee) if returns > free else float(amt)
                    self.emit(t + r.randrange(3 * D, 20 * D), a, "refund", order=oid, amount=self.fmt_amount(x, cur), cur=cur,
                              status=r.choice(["changed_mind", "wrong_size", "not_as_described"]), text=r.choice(["", "", "size too small", "didn't fit"]))

        # foreign_refund (review40c 1): the refund paid back in the buyer's own currency, converted
        for a in take(0.002, 0.008, "foreign_refund"):
            mine = COUNTRIES.get(a.country, (0, "USD", 1))
            for _ in range(r.randint(1, 3)):
                t = late(a, self.local_ts(a.tz, r.randrange(self.days)))
                dev, ip, c = self.ctx(a, t)
                oid, t, amt, cur, it = self._hh_shop(a, t, dev, ip, c)
                if r.random() < 0.7:
                    fx = [v for v in COUNTRIES.values() if v[1] == cur][0][2]
                    to_cur = mine[1] if mine[1] != cur else r.choice(["USD", "EUR"])
                    to_fx = [v for v in COUNTRIES.values() if v[1] == to_cur][0][2]
                    x = float(amt) / fx * to_fx * r.uniform(0.96, 1.03)
                    self.emit(t + r.randrange(3 * D, 20 * D), a, "refund", order=oid, amount=self.fmt_amount(x, to_cur), cur=to_cur,
                              status=r.choices(*self.refund_reasons)[0], text=r.choice(["", "", "not as pictured", "broken"]))

        # partial_line_refund (review40c 1): a two- or three-line order (one order id, a row per line), refunded
        # whole (more than any one line) or for one line
        for a in take(0.002, 0.008, "partial_line_refund"):
            for _ in range(r.randint(1, 2)):
                t = late(a, self.local_ts(a.tz, r.randrange(self.days)))
                dev, ip, c = self.ctx(a, t)
                first = self.pick_item()
                its = [first] + [self.pick_item(first) for _ in range(r.randint(1, 2))]
                its = [i for i in its if self.item_cur[i] == self.item_cur[first]]
                oid, cur, sess = self.uid("o"), self.item_cur[first], self.uid("s", 40)
                lines = []
                for it in its:
                    self.emit(t, a, "view", dev, ip, c, sess, it, self.item_seller[it])
                    t += r.randrange(5 * S, 90 * S)
                for it in its:
                    q = 1 if r.random() < 0.8 else 2
                    lines.append(self.item_price[it] * q)
                    self.emit(t, a, "order", dev, ip, c, sess, it, self.item_seller[it], oid, q, self.fmt_amount(lines[-1], cur), cur,
                              "", "", a.addr)
                    t += r.randrange(200, 2 * S)
                self.emit(t + r.randrange(3 * S, 30 * S), a, "payment", dev, ip, c, order=oid, amount=self.fmt_amount(sum(lines), cur),
                          cur=cur, pay=a.cards[0], status="ok")
                if r.random() < 0.8:
                    x = sum(lines) if r.random() < 0.5 else r.choice(lines)
                    self.emit(t + r.randrange(3 * D, 20 * D), a, "refund", order=oid, amount=self.fmt_amount(x, cur), cur=cur,
                              status=r.choices(*self.refund_reasons)[0], text=r.choice(["", "", "one item broken", "wrong colour"]))

        # goodwill_refund (review40c 2): a damaged parcel kept for a part refund the seller offered; one or two claims
        for a in take(0.002, 0.006, "goodwill_refund"):
            for j in range(r.randint(1, 2)):
                t = late(a, self.local_ts(a.tz, r.randrange(self.days)))
                dev, ip, c = self.ctx(a, t)
                oid, t, amt, cur, it = self._hh_shop(a, t, dev, ip, c)
                x = float(amt) * (r.uniform(0.15, 0.6) if j == 0 or r.random() < 0.5 else 1.0)
                self.emit(t + r.randrange(2 * D, 15 * D), a, "refund", order=oid, amount=self.fmt_amount(x, cur), cur=cur,
                          status="damaged", text=r.choice(["box crushed, kept it", "scratched", "", "seller offered partial refund"]))

        # new_phone_at_end (review40d 1): a new phone in the data's last days, set up on mobile data (a forgotten
        # password, sometimes a typo first), and a big purchase right after; the old phone was used before
        carriers = [ip for c in self.carriers.values() for g in c for ip in g]
        pricey = [i for i in self.items if self.item_cat[i] in ("phones", "electronics", "gift_cards")] or self.items
        for a in take(0.002, 0.008, "new_phone_at_end"):
            t = self.local_ts(a.tz, self.days - r.randint(1, 4))
            dev = self.uid("dv", 64)
            a.devs.append(dev)
            ip = r.choice(carriers) if r.random() < 0.7 else self.ipv4()
            if r.random() < 0.3:
                self.emit(t, a, "login", dev, ip, a.country, status="fail")
                t += r.randrange(10 * S, 3 * M)
            if r.random() < 0.5:
                self.emit(t, a, "password_reset", dev, ip, a.country)
                t += r.randrange(M, 15 * M)
            if r.random() < 0.3:
                a.addr = self.uid("ad_", 40)
                self.emit(t, a, "address_change", dev, ip, addr=a.addr)
            for _ in range(r.randint(1, 3)):
                t += r.randrange(5 * M, 8 * H)
                if r.random() < 0.5:
                    ip = a.home_ip
                self._hh_shop(a, t, dev, ip, a.country, item=r.choice(pricey) if r.random() < 0.6 else None, qty=r.choice([1, 1, 2]), login=True)

        # partner_phone (review40d 2, 3): a partner's phone signed into the account, once at home and once days
        # later on the partner's own mobile data, the second time a gift to another address
        for a in take(0.002, 0.008, "partner_phone"):
            dev = self.uid("dv", 64)
            d1 = r.randrange(self.days - 2)
            t = self.local_ts(a.tz, d1)
            sess = self.uid("s", 40)
            self.emit(t, a, "login", dev, a.home_ip, a.country, status="ok")
            for _ in range(r.randint(1, 6)):
                t += r.randrange(10 * S, 3 * M)
                it = self.pick_item()
                self.emit(t, a, "view", dev, a.home_ip, a.country, sess, it, self.item_seller[it])
            if r.random() < 0.4:
                self._hh_shop(a, t + M, dev, a.home_ip, a.country)
            t = self.local_ts(a.tz, min(self.days - 1, d1 + r.randint(2, 20)))
            ip = r.choice(carriers) if r.random() < 0.7 else self.ipv4()
            if r.random() < 0.3:
                self.emit(t, a, "login", dev, ip, a.country, status="fail")
                t += r.randrange(10 * S, 2 * M)
            gift = self.uid("ad_", 40) if r.random() < 0.7 else None
            self._hh_shop(a, t, dev, ip, a.country, addr=gift, login=True)

        # owner_typo (review40d 2): the owner mistypes the password once or twice, then gets in from mobile data on a
        # carrier block the account never used (sometimes on a new phone), and shops — now and then a gift
        for a in take(0.002, 0.008, "owner_typo"):
            t = self.local_ts(a.tz, r.randrange(self.days))
            dev = a.devs[0]
            for _ in range(r.randint(1, 2)):
                self.emit(t, a, "login", dev, a.home_ip if r.random() < 0.5 else r.choice(carriers), a.country, status="fail")
                t += r.randrange(5 * S, 2 * M)
            if r.random() < 0.4:
                dev = self.uid("dv", 64)
                a.devs.append(dev)
            t += r.randrange(M, 3 * H)
            self._hh_shop(a, t, dev, r.choice(carriers), a.country, addr=self.uid("ad_", 40) if r.random() < 0.4 else None, login=True)

        # work_pc (review40d 2): the account used from a work computer on the office's /24 on a few weekdays,
        # sometimes a parcel sent to the office
        for a in take(0.002, 0.006, "work_pc"):
            dev, blk = self.uid("dv", 64), block()
            ip, office_addr = "%s.%d" % (blk, r.randrange(2, 250)), self.uid("ad_", 40)
            for _ in range(r.randint(2, 6)):
                t = self._hh_weekday_work(a.tz, r.randrange(self.days))
                if r.random() < 0.5:
                    self._hh_shop(a, t, dev, ip, a.country, addr=office_addr if r.random() < 0.5 else None, login=True)
                else:
                    self.emit(t, a, "login", dev, ip, a.country, status="ok")

        # weekly_show (review40e N1, N2): a creator streaming once a week at a fixed hour, with no other event of
        # the creator's near the show (a kept login, streaming software); families watch together on their home
        # network, and other fans from wherever they are
        homes = {}
        for a in pool:
            if a.id not in self.used and "household" in a.tags:
                homes.setdefault(a.home_ip, []).append(a)
        homes = [h for k, h in sorted(homes.items(), key=lambda x: str(x[0])) if len(h) >= 2]
        for _ in range(r.randint(2, 5)):
            c = self.new_acc("creator", self.t0 - r.randrange(60 * D, 1200 * D))
            wd, hour, dur = r.randrange(7), r.uniform(17, 22), r.randrange(40 * M, 150 * M)
            fams = [h for h in r.sample(homes, min(len(homes), r.randint(3, 15)))]
            homes = [h for h in homes if h not in fams]
            fans = take(0.0005, 0.004, "show_fan", least=10)
            fam_members = []
            for h in fams:
                for a in h:
                    if a.id not in self.used:
                        a.tags.add("weekly_show")
                        self.used.add(a.id)
                        fam_members.append(a)
            present, fan_p = r.uniform(0.6, 0.95), r.uniform(0.15, 0.6)
            arrive = r.uniform(30 * S, 8 * M)
            for day in range(self.days):
                if ((self.t0 + day * D + c.tz * H) // D + 3) % 7 != wd:
                    continue
                T = self.t0 + day * D + int((hour - c.tz) * H)
                for a in fam_members + fans:
                    if r.random() >= (present if "weekly_show" in a.tags else fan_p):
                        continue
                    t = T + int(r.expovariate(1 / arrive))
                    if "weekly_show" in a.tags:
                        dev, ip, ctry = a.devs[-1], a.home_ip, a.country
                    else:
                        dev, ip, ctry = self.ctx(a, t)
                    sess = self.uid("s", 40)
                    self.emit(t, a, "live_view", dev, ip, ctry, sess, target=c.id)
                    if r.random() < 0.3:
                        self.emit(t + r.randrange(5 * M, dur), a, "live_view", dev, ip, ctry, self.uid("s", 40), target=c.id)
                    if r.random() < 0.03:
                        self.emit(t + r.randrange(S, dur), a, "follow", dev, ip, ctry, target=c.id)

        # room_regular (review40e N2): a room with no owner event at all whose regular viewers, each on their own
        # network, keep coming at the room's usual hours most days
        for _ in range(r.randint(1, 3)):
            c = self.new_acc("creator", self.t0 - r.randrange(60 * D, 1200 * D))
            regs = take(0.0005, 0.003, "room_regular", least=8)
            hour, dur, every = r.uniform(12, 23), r.randrange(30 * M, 240 * M), r.choice([1, 1, 2, 3])
            present = r.uniform(0.5, 0.95)
            for day in range(r.randrange(every), self.days, every):
                T = self.t0 + day * D + int((hour + r.uniform(-0.5, 0.5) - c.tz) * H)
                for a in regs:
                    if r.random() >= present:
                        continue
                    t = T + int(r.expovariate(1 / (r.uniform(1, 20) * M)))
                    dev, ip, ctry = self.ctx(a, t)
                    self.emit(t, a, "live_view", dev, ip, ctry, self.uid("s", 40), target=c.id)
                    if r.random() < 0.2:
                        self.emit(t + r.randrange(5 * M, dur), a, "live_view", dev, ip, ctry, self.uid("s", 40), target=c.id)

        # flash_code (review40b N2): a public flash code posted online, taken by a crowd within hours from wherever
        # they are (many open an account for it); a few colleagues take it together from their office's /24
        for _ in range(r.randint(1, 3)):
            ctry = r.choice(self.countries)
            tz = COUNTRIES[ctry][0]
            code = "FLASH" + self.uid("", 16).upper()
            T = self._hh_weekday_work(tz, r.randrange(self.days - 1))
            window, new_share = r.uniform(0.5, 4) * H, r.uniform(0.3, 0.8)
            office = "%s.%d" % (block(), r.randrange(2, 250))
            local = [a for a in pool if a.country == ctry and a.id not in self.used]
            n = self.pareto_int(1.2, 20, 200)
            colleagues = r.randint(2, 6)
            for i in range(n):
                t = T + int(r.random() * window)
                if r.random() < new_share or not local:
                    a = self._hh_buyer(t, ctry, "flash_code")
                    if i < colleagues:
                        a.office = office
                    dev, ip, c = self.ctx(a, t)
                    if i < colleagues:
                        ip = office
                    self.signup(a, dev, ip, ctry)
                    t += r.randrange(M, 15 * M)
                else:
                    a = local.pop(r.randrange(len(local)))
                    a.tags.add("flash_code")
                    self.used.add(a.id)
                    dev, ip, c = self.ctx(a, t)
                    if i < colleagues:
                        a.office, ip = office, office
                self._hh_shop(a, t, dev, ip, ctry, coupon=code)
                self._hh_life(a, after=t)

        # partner_glimpse (review40d 3): a partner's phone opens the app for a minute on its own mobile data, and
        # within the hour the owner orders a gift to another address from their usual device at home
        for a in take(0.001, 0.005, "partner_glimpse"):
            dev = self.uid("dv", 64)
            for _ in range(r.randint(1, 3)):
                t = self.local_ts(a.tz, r.randrange(self.days))
                ip = r.choice(carriers) if r.random() < 0.7 else self.ipv4()
                sess = self.uid("s", 40)
                if r.random() < 0.5:
                    self.emit(t, a, "login", dev, ip, a.country, status="ok")
                for _ in range(r.randint(1, 3)):
                    t += r.randrange(5 * S, 60 * S)
                    it = self.pick_item()
                    self.emit(t, a, "view", dev, ip, a.country, sess, it, self.item_seller[it])
                if r.random() < 0.7:
                    self._hh_shop(a, t + r.randrange(2 * M, 60 * M), a.devs[-1], a.home_ip, a.country,
                                  addr=self.uid("ad_", 40) if r.random() < 0.7 else None)

        # child_phone (review40d 2): a parent sets up a child's phone at home (a typo first), and days later the
        # child orders from it on mobile data, sometimes to a friend's or a school address
        for a in take(0.001, 0.005, "child_phone"):
            dev = self.uid("dv", 64)
            d1 = r.randrange(self.days - 2)
            t = self.local_ts(a.tz, d1)
            for _ in range(r.randint(1, 2)):
                self.emit(t, a, "login", dev, a.home_ip, a.country, status="fail")
                t += r.randrange(10 * S, 2 * M)
            self.emit(t, a, "login", dev, a.home_ip, a.country, status="ok")
            for _ in range(r.randint(1, 3)):
                t = self.local_ts(a.tz, min(self.days - 1, d1 + r.randint(1, 15)))
                ip = r.choice(carriers) if r.random() < 0.8 else a.home_ip
                self._hh_shop(a, t, dev, ip, a.country, addr=self.uid("ad_", 40) if r.random() < 0.3 else None)

        for a in self.accs:
            for tg in a.tags:
                if tg in HONEST_HARD_TAGS and a.label == "legit":
                    counts[tg] = counts.get(tg, 0) + 1
        p["honest_hard"] = {"tags": sorted(counts), "counts": counts}

    # ---- output
    def fmt_ts(self, ts, x):
        if x < 0.6:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts // 1000))
        if x < 0.75:
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1000)) + ".%03d+00:00" % (ts % 1000)
        if x < 0.93:
            return str(ts)
        off = self.accs[0].tz or 9
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((ts + off * H) // 1000)) + "%s%02d:00" % ("+" if off >= 0 else "-", abs(off))

    def write(self, junk):
        r, out = self.r, self.out
        self.flush()
        cols = "event_id,ts,account_id,type,device_id,ip,country,session_id,item_id,seller_id,order_id,quantity,amount,currency,coupon_id,payment_id,address_id,target_id,rating,status,text,app_version"
        n_out = dup = late = 0
        eid = 0
        junk_rows = []
        with open(os.path.join(out, "events.csv"), "w", encoding="utf-8", newline="") as f:
            f.write(cols + "\n")
            held = []
            for day in range(self.days):
                path = os.path.join(self.tmp, "d%03d" % day)
                if not os.path.exists(path):
                    continue
                with open(path, encoding="utf-8") as g:
                    lines = g.read().split("\n")
                lines.pop()
                lines.sort(key=lambda l: (int(l[:l.index("\t")]), l))
                rows = []
                for l in lines:
                    k = l.index("\t")
                    ts = int(l[:k])
                    eid += 1
                    row = "bz%d.%d,%s,%s\n" % (self.seed, eid, self.fmt_ts(ts, r.random()), l[k + 1:].replace("\x1f", "\n"))
                    x = r.random()
                    if x < 0.002:
                        dup += 1
                        held.append(row)
                    elif x > 0.997:
                        late += 1
                        held.append(row)
                        continue
                    rows.append(row)
                # yesterday's held rows arrive today
                cut = len(held) // 2
                f.write("".join(rows) + "".join(held[:cut]))
                n_out += len(rows) + cut
                held = held[cut:]
                os.remove(path)
            f.write("".join(held))
            n_out += len(held)
            a0 = self.accs[len(self.accs) // 2].id
            for i in range(junk):
                row = ["bzjunk%d" % i, str(self.t0 + i * 1000), a0, "view"] + [""] * 18
                kind = i % 5
                if kind == 0:
                    row[1] = "2026-13-45T99:00:00Z"
                elif kind == 1:
                    row[2] = ""
                elif kind == 2:
                    row[3], row[10], row[11] = "order", "ojunk%d" % i, "1.5x"
                elif kind == 3:
                    row[0] = " "
                else:
                    row[1] = ""
                line = ",".join(row)
                junk_rows.append(line)
                f.write(line + "\n")
        shutil.rmtree(self.tmp)
        with open(os.path.join(out, "accounts.jsonl"), "w", encoding="utf-8") as f:
            for a in self.accs:
                if r.random() < 0.01:
                    continue     # known only through its events
                o = {"account_id": a.id, "created_at": self.fmt_ts(a.created, r.random()), "kind": a.kind, "country": a.country,
                     "email": a.email, "phone": a.phone if r.random() < 0.8 else None}
                if r.random() < 0.2:
                    o["tier"] = r.choice(["gold", "silver", "basic"])
                f.write(json.dumps(o, ensure_ascii=False) + "\n")
        drops = dict(self.drops)
        with open(os.path.join(out, "items.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("item_id,seller_id,title,category,price,currency,limited,drop_at\n")
            for iid in self.items:
                lim, da = ("true", self.fmt_ts(drops[iid], r.random())) if iid in drops else (r.choice(["", "false", "0"]), "")
                cur = self.item_cur[iid]
                f.write("%s,%s,%s,%s,%s,%s,%s,%s\n" % (iid, self.item_seller[iid], esc("%s, no. %s" % (self.item_cat[iid], iid[-3:])),
                                                      self.item_cat[iid], self.fmt_amount(self.item_price[iid], cur), cur, lim, da))
        fam, tags = {}, {}
        with open(os.path.join(out, "truth.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("account_id,label,attack,group,lookalike\n")
            for a in self.accs:
                t = set(a.tags)
                if self.mega_orders.get(a.id, 0) >= 2:
                    t.add("mega_seller_buyer")
                t = sorted(t) if a.label == "legit" else []
                for x in t:
                    tags[x] = tags.get(x, 0) + 1
                f.write("%s,%s,%s,%s,%s\n" % (a.id, a.label, a.attack, a.group, "|".join(t)))
                if a.label == "fraud":
                    fam[a.attack] = fam.get(a.attack, 0) + 1
        self.p.update(groups=self.groups, params=self.gparams, lookalike_counts=tags, events=n_out, duplicates=dup,
                      late_rows=late, junk_rows=junk, accounts=len(self.accs), fraud=fam)
        with open(os.path.join(out, "world.json"), "w") as f:
            json.dump(self.p, f, indent=1, sort_keys=True, default=str)
        return n_out, fam, junk_rows


def main():
    a, start = worldcli.parse("bazaar.py", __doc__, 5, "rows meant to be rejected (bad time, no account, bad number, no event id, no time)",
                              lambda ap: ap.add_argument("--honest-hard", action="store_true",
                                                         help="add the honest look-alike populations the reviews named (tags: HONEST_HARD_TAGS)"))
    t = time.time()
    w = World(a.accounts, a.days, a.seed, start, a.out, a.honest_hard)
    w.generate()
    n_ev, fam, junk = w.write(max(0, a.junk))
    if not a.quiet:
        print("bazaar.py: %s: %d accounts, %d items, %d event rows, fraud %s (%d) in %.1f s" % (
            a.out, len(w.accs), len(w.items), n_ev, json.dumps(fam, sort_keys=True), sum(fam.values()), time.time() - t))
        print("junk rows meant to be rejected:\n  " + "\n  ".join(junk))


if __name__ == "__main__":
    main()
