import Foundation

public struct SimConfig: Sendable {
    public var accounts = 20_000
    public var days = 30
    public var seed: UInt64 = 1
    public var format = SimFormat.csv
    public var timestamps = SimTimestamps.rfc3339
    public var gzip = false
    /// `.random` draws the population structure and every attack's parameters from the seed.
    public var world = SimWorld.standard
    /// First day of the simulated window (UTC midnight), epoch ms. Default 2026-10-01.
    public var startMs: Int64 = 1_790_812_800_000
    public init() {}
}

public struct SimSummary: Sendable {
    public var accounts = 0
    public var items = 0
    public var events = 0
    public var fraudAccounts = 0
    public var attacks: [String: Int] = [:]
    public var files: [String] = []
    public var seconds = 0.0
}

/// A marketplace with diurnal buyers, sellers, creators, flash drops and live shows,
/// innocent look-alikes that naive rules would flag, and injected attack groups for every
/// risk area. Deterministic for a seed. Writes the data contract's files and `truth.csv`.
public final class Simulator {
    let cfg: SimConfig
    var rng: SimRandom
    let world: WorldParams
    var megaSeller = -1
    var countries: [Country] = []
    var accounts: [Account] = []
    var items: [Item] = []
    var itemsByCategory: [[Int]] = []
    var itemsBySeller: [Int: [Int]] = [:]
    var sellers: [Int] = []
    var creators: [Int] = []
    var buyers: [Int] = []
    var drops: [Int] = []
    var shows: [Show] = []
    var showsByDay: [Int: [Int]] = [:]
    var datacenter: [String] = []          // /24 prefixes of hosting providers
    var scheduled: [Int: [Event]] = [:]    // events by day index
    var nextOrder: UInt64 = 0
    var attackPool: [Int] = []
    let dayMs: Int64 = 86_400_000
    var start: Int64 { cfg.startMs }
    var end: Int64 { cfg.startMs + Int64(cfg.days) * dayMs }
    let newUserCoupon: String
    let promoCoupons: [String]
    let diurnal: [Double] = [0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.7, 1.2, 1.5, 1.5, 1.6, 1.9, 2.3, 2.0, 1.6, 1.5, 1.6, 1.8, 2.2, 2.8, 3.2, 3.3, 2.6, 1.3]

    public init(_ cfg: SimConfig) {
        self.cfg = cfg
        rng = SimRandom(seed: cfg.seed)
        world = cfg.world == .random ? WorldParams.draw(seed: cfg.seed) : WorldParams()
        var r = rng.fork(99)
        newUserCoupon = ["WELCOME", "NEWBIE", "HELLO", "FIRST"][r.int(4)] + String(r.int(in: 5...30))
        promoCoupons = ["SAVE5", "FLASH10", "FREESHIP", "PAYDAY15", "MEGA11", "WEEKEND8"]
    }

    // MARK: ids

    func eventID() -> String { rng.hex(20) }
    func newDevice() -> String { rng.hex(16) }
    func newPayment() -> String { "pm_" + rng.hex(12) }
    func newAddress() -> String { "ad_" + rng.hex(12) }
    func newSession() -> String { rng.hex(12) }
    func newOrder() -> String { nextOrder += 1; return "o" + rng.digits(12) }

    func residentialIP(_ c: Country) -> String {
        rng.pick(c.residential) + ".\(rng.int(in: 1...254)).\(rng.int(in: 1...254))"
    }
    func datacenterIP() -> String { rng.pick(datacenter) + ".\(rng.int(in: 2...250))" }

    // MARK: building the world

    func buildWorld() {
        var specs: [(String, Int, Double, String)] = [("ID", 420, 0.28, "+62"), ("TH", 420, 0.15, "+66"), ("VN", 420, 0.15, "+84"),
                                                        ("MY", 480, 0.10, "+60"), ("PH", 480, 0.14, "+63"), ("SG", 480, 0.05, "+65"),
                                                        ("US", -300, 0.07, "+1"), ("GB", 0, 0.06, "+44")]
        specs.shuffle(using: &rng)
        for (code, tz, w, pp) in specs {
            var c = Country(code: code, tzMinutes: tz, weight: w, phonePrefix: pp)
            c.residential = (0..<12).map { _ in "\(rng.int(in: 1...223)).\(rng.int(in: 0...255))" }
            c.nat = (0..<world.natPerCountry).map { _ in "\(rng.int(in: 1...223)).\(rng.int(in: 0...255)).\(rng.int(in: 0...255)).\(rng.int(in: 1...254))" }
            countries.append(c)
        }
        datacenter = (0..<8).map { _ in "\(rng.int(in: 1...223)).\(rng.int(in: 0...255)).\(rng.int(in: 0...255))" }

        let n = max(cfg.accounts, 60)
        let nSellers = max(4, n * 3 / 100)
        let nCreators = max(2, n / 100)
        let weights = countries.map(\.weight)
        var usedIDs = Set<String>()
        for i in 0..<n {
            var id: String
            repeat { id = rng.digits(rng.int(in: 9...11)) } while !usedIDs.insert(id).inserted
            let kind = i < nSellers ? "seller" : (i < nSellers + nCreators ? "creator" : "buyer")
            let c = countries[rng.weighted(weights)]
            // Most accounts are aged; some sign up during the window.
            let isNew = kind == "buyer" && rng.chance(0.12)
            let created: Int64 = isNew ? start + Int64(rng.unit() * Double(end - start - dayMs))
                                       : start - Int64(rng.uniform(20, 1500) * Double(dayMs))
            let first = rng.pick(Catalog.firstNames), last = rng.pick(Catalog.lastNames)
            let email = emailFor(first, last)
            let phone = c.phonePrefix + rng.digits(9)
            let devices = (0..<(rng.chance(0.3) ? 2 : 1)).map { _ in newDevice() }
            let mobile = rng.chance(world.mobileShare)
            var activity = rng.lognormal(median: 0.12, sigma: 0.9)
            if kind != "buyer" { activity = rng.uniform(0.3, 1.2) }
            else if rng.chance(0.01) { activity = rng.uniform(2, 4) }   // power users
            let fav = [rng.int(Catalog.categories.count), rng.int(Catalog.categories.count)]
            let a = Account(index: i, id: id, kind: kind, country: c, createdAt: created, email: email, phone: phone,
                            devices: devices, homeIP: residentialIP(c), mobile: mobile,
                            payments: (0..<(rng.chance(0.25) ? 2 : 1)).map { _ in newPayment() },
                            addresses: [newAddress()], activity: min(activity, 6), favourites: fav)
            if activity >= 2 { a.truth.tag("power_user") }
            if mobile { a.truth.tag("carrier_nat") }
            accounts.append(a)
            switch kind {
            case "seller": sellers.append(i)
            case "creator": creators.append(i)
            default: buyers.append(i)
            }
        }
        // Catalogue.
        itemsByCategory = Array(repeating: [], count: Catalog.categories.count)
        if world.random { megaSeller = sellers[0] }
        for (rank, s) in sellers.enumerated() {
            let cat = rng.int(Catalog.categories.count)
            for _ in 0..<(world.random ? randomCatalogueSize(seller: rank) : rng.int(in: 4...30)) {
                let c = rng.chance(0.75) ? cat : rng.int(Catalog.categories.count)
                let spec = Catalog.categories[c]
                let price = (exp(rng.uniform(log(spec.lo), log(spec.hi))) * 100).rounded() / 100
                let title = "\(rng.pick(Catalog.adjectives)) \(rng.pick(spec.nouns)) \(rng.pick(Catalog.colours))"
                let it = Item(id: "it" + rng.base36(10), seller: s, title: title, category: c, price: price)
                itemsBySeller[s, default: []].append(items.count)
                itemsByCategory[c].append(items.count)
                items.append(it)
            }
        }
        for c in itemsByCategory.indices { itemsByCategory[c].shuffle(using: &rng) }   // popularity order
        // Limited flash drops at evening peaks.
        let nDrops = max(2, cfg.days / 2)
        for _ in 0..<nDrops {
            let c = rng.chance(0.6) ? Catalog.categories.count - 1 : rng.int(Catalog.categories.count)
            guard let idx = itemsByCategory[c].first(where: { !items[$0].limited }) ?? items.indices.randomElement(using: &rng),
                  !items[idx].limited else { continue }
            let day = rng.int(in: 1...max(1, cfg.days - 1))
            let localHour = [12, 19, 20, 21][rng.int(4)]
            let tz = accounts[items[idx].seller].country.tzMinutes
            items[idx].limited = true
            items[idx].dropAt = start + Int64(day) * dayMs + Int64(localHour * 60 - tz) * 60_000
            items[idx].stock = rng.int(in: 40...300)
            drops.append(idx)
        }
        // Follows: buyers follow a few creators (popularity is skewed).
        for b in buyers where rng.chance(0.5) {
            accounts[b].follows = (0..<rng.int(in: 1...4)).map { _ in creators[rng.zipf(creators.count, s: 1.3)] }
        }
        // Live shows: creators go live some evenings; the biggest draw crowds.
        for (rank, c) in creators.enumerated() {
            for day in 0..<cfg.days where rng.chance(rank < 3 ? 0.5 : 0.15) {
                let h = rng.int(in: 18...22)
                let st = start + Int64(day) * dayMs + Int64(h * 60 - accounts[c].country.tzMinutes) * 60_000 + Int64(rng.int(60)) * 60_000
                showsByDay[day, default: []].append(shows.count)
                shows.append(Show(creator: c, start: st, minutes: rng.int(in: 45...150), mega: rank < 2 && rng.chance(0.35)))
            }
        }
    }

    func emailFor(_ first: String, _ last: String) -> String {
        let style = rng.int(5)
        let local: String
        switch style {
        case 0: local = "\(first).\(last)"
        case 1: local = "\(first)\(last)\(rng.int(in: 1...99))"
        case 2: local = "\(first)_\(rng.base36(4))"
        case 3: local = "\(first.prefix(1))\(last)\(rng.int(in: 70...2009))"
        default: local = "\(last).\(first)\(rng.int(10))"
        }
        return "\(local)@\(rng.pick(Catalog.domains))"
    }

    // MARK: event helpers

    /// Local-time hour draw → UTC ms on a day.
    func sessionStart(_ a: Account, day: Int) -> Int64 {
        let h = rng.weighted(diurnal)
        let localMin = h * 60 + rng.int(60)
        return start + Int64(day) * dayMs + Int64(localMin - a.country.tzMinutes) * 60_000 + Int64(rng.int(60_000))
    }

    func base(_ a: Account, _ type: String, _ ts: Int64, device: String?, ip: String?, session: String? = nil) -> Event {
        var e = Event(id: eventID(), ts: ts, account: a.id, type: type)
        e.device = device
        e.ip = ip
        e.session = session
        e.tzMinutes = a.country.tzMinutes
        if rng.chance(0.9) { e.appVersion = "3\(rng.int(in: 0...4)).\(rng.int(10)).\(rng.int(10))" }
        return e
    }

    /// The owner of a taken-over account notices later: a failed login (locked out) and a password
    /// reset a minute after, from the owner's own first device and usual network.
    func ownerResets(_ a: Account, at back: Int64, out: inout [Event]) {
        var f = base(a, "login", back, device: a.devices[0], ip: sessionIP(a)); f.status = "fail"; f.country = a.country.code
        out.append(f)
        var rr = base(a, "password_reset", back + 60_000, device: a.devices[0], ip: sessionIP(a)); rr.country = a.country.code
        out.append(rr)
    }

    func schedule(_ e: Event) {
        guard e.ts >= start && e.ts < end else { return }
        scheduled[Int((e.ts - start) / dayMs), default: []].append(e)
    }

    func sessionIP(_ a: Account) -> String {
        if a.vpn { return datacenterIP() }
        if let o = a.officeIP, rng.chance(world.officeUse) { return o }
        if a.mobile && rng.chance(0.8) { return rng.pick(a.country.nat) }
        return rng.chance(0.9) ? a.homeIP : residentialIP(a.country)
    }

    func pickItem(for a: Account) -> Int {
        if megaSeller >= 0, rng.chance(world.megaShare), let mine = itemsBySeller[megaSeller], !mine.isEmpty {
            return mine[rng.zipf(mine.count)]
        }
        let cat = rng.chance(0.7) ? rng.pick(a.favourites) : rng.int(Catalog.categories.count)
        let list = itemsByCategory[cat].isEmpty ? Array(items.indices) : itemsByCategory[cat]
        return list[rng.zipf(list.count)]
    }

    func reviewText(rating: Int) -> String {
        var s = rng.pick(Catalog.reviewOpen)
        s += rating >= 4 ? rng.pick(Catalog.reviewGood) : rng.pick(Catalog.reviewBad)
        if rng.chance(0.35) { s += rng.chance(0.5) ? ", " : ". And " ; s += rating >= 3 ? rng.pick(Catalog.reviewGood) : rng.pick(Catalog.reviewBad) }
        if rng.chance(0.05) { s += "\nPS: " + rng.pick(Catalog.reviewGood) }
        s += rng.pick(Catalog.reviewClose)
        return s.prefix(1).uppercased() + s.dropFirst()
    }

    /// An order with its payment (and coupon redemption), ending at the returned time.
    @discardableResult
    func placeOrder(_ a: Account, item: Int, at t0: Int64, device: String, ip: String, session: String?,
                    quantity: Int = 1, payment: String? = nil, address: String? = nil, coupon: String? = nil,
                    out: inout [Event], reviewChance: Double = 0.3, honest: Bool = true) -> Int64 {
        let it = items[item]
        let order = newOrder()
        var t = t0
        var o = base(a, "order", t, device: device, ip: ip, session: session)
        o.order = order; o.item = it.id; o.seller = accounts[it.seller].id; o.quantity = quantity
        o.amount = (it.price * Double(quantity) * 100).rounded() / 100; o.currency = "USD"
        o.address = address ?? a.addresses[0]; o.coupon = coupon; o.country = nil
        out.append(o)
        if let coupon {
            t += Int64(rng.int(in: 200...3000))
            var c = base(a, "coupon_redeem", t, device: device, ip: ip, session: session)
            c.coupon = coupon; c.order = order
            c.amount = coupon == newUserCoupon ? min(it.price, 15) : (it.price * 0.1 * 100).rounded() / 100
            c.currency = "USD"
            out.append(c)
        }
        let pay = payment ?? a.payments[0]
        var tries = rng.chance(0.03) ? 2 : 1
        while tries > 0 {
            t += Int64(rng.int(in: 1500...20_000))
            var p = base(a, "payment", t, device: device, ip: ip, session: session)
            p.order = order; p.payment = pay; p.amount = o.amount; p.currency = "USD"
            p.status = tries == 2 ? "fail" : "ok"
            out.append(p)
            tries -= 1
        }
        if honest && it.seller == megaSeller { a.truth.tag("mega_seller_buyer") }
        if honest && rng.chance(a.reviewRate.map { reviewChance / 0.3 * $0 } ?? reviewChance) {
            let short = a.shortReviewer && rng.chance(0.85)
            let rating = short ? (rng.chance(0.92) ? 5 : 4) : [5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1][rng.int(11)]
            var r = base(a, "review", t + Int64(rng.uniform(2, 10) * Double(dayMs)), device: rng.pick(a.devices), ip: sessionIP(a))
            r.order = order; r.item = it.id; r.seller = accounts[it.seller].id; r.rating = rating
            if short { r.text = rng.pick(ShortReviews.texts) } else if rng.chance(0.8) { r.text = reviewText(rating: rating) }
            schedule(r)
        }
        if honest && rng.chance(world.refundRate) {
            var r = base(a, "refund", t + Int64(rng.uniform(3, 14) * Double(dayMs)), device: nil, ip: nil)
            r.order = order; r.amount = o.amount; r.currency = "USD"
            r.status = ["damaged", "not_as_described", "late", "changed_mind", "not_received"][rng.int(world.random ? 5 : 4)]
            if rng.chance(0.5) { r.text = rng.pick(Catalog.reviewBad) }
            schedule(r)
        }
        // Sellers send a shipping notice, with a tracking link, to their own buyers.
        if honest && rng.chance(0.25) {
            let s = accounts[it.seller]
            var m = base(s, "message", t + Int64(rng.uniform(0.2, 1.5) * Double(dayMs)), device: s.devices[0], ip: sessionIP(s))
            m.target = a.id
            m.text = "Hi! Your order \(order) has shipped 📦 Track it here: https://trk.example/\(rng.base36(8)) Thanks for shopping with us!"
            s.truth.tag("seller_broadcast")
            schedule(m)
        }
        return t
    }

    // MARK: ordinary activity

    /// One browsing session of an ordinary account.
    func browse(_ a: Account, at t0: Int64, day: Int, out: inout [Event], country: Country? = nil, device: String? = nil) {
        let dev = device ?? (a.devices.count > 1 && rng.chance(0.35) ? a.devices[1] : a.devices[0])
        let c = country ?? a.country
        let ip = country == nil ? sessionIP(a) : residentialIP(c)
        let sess = newSession()
        var t = t0
        if rng.chance(0.25) {
            var l = base(a, "login", t, device: dev, ip: ip, session: sess)
            l.country = c.code; l.status = "ok"
            out.append(l)
            t += Int64(rng.int(in: 2000...30_000))
        }
        let views = 1 + rng.poisson(a.truth.lookalikes.contains("power_user") ? 9 : 4)
        var cart: [Int] = []
        var lastItem = -1
        for _ in 0..<views {
            let item = (lastItem >= 0 && rng.chance(0.15)) ? lastItem : pickItem(for: a)
            lastItem = item
            var v = base(a, "view", t, device: dev, ip: ip, session: sess)
            v.item = items[item].id; v.seller = accounts[items[item].seller].id
            out.append(v)
            t += Int64(rng.lognormal(median: 25_000, sigma: 1.0))
            if rng.chance(0.12) {
                var c = base(a, "add_to_cart", t, device: dev, ip: ip, session: sess)
                c.item = items[item].id; c.seller = accounts[items[item].seller].id; c.quantity = rng.chance(0.85) ? 1 : 2
                out.append(c)
                cart.append(item)
                t += Int64(rng.lognormal(median: 8_000, sigma: 0.7))
            }
            if rng.chance(0.03) {
                var p = base(a, "profile_view", t, device: dev, ip: ip, session: sess)
                p.target = accounts[items[item].seller].id
                out.append(p)
                t += Int64(rng.lognormal(median: 10_000, sigma: 0.7))
            }
        }
        for item in cart where rng.chance(0.55) {
            var coupon: String? = nil
            if a.createdAt > start - 30 * dayMs && !a.usedNewUserCoupon && rng.chance(0.7) { coupon = newUserCoupon; a.usedNewUserCoupon = true }
            else if rng.chance(0.15) { coupon = rng.pick(promoCoupons) }
            t = placeOrder(a, item: item, at: t + Int64(rng.int(in: 5000...60_000)), device: dev, ip: ip, session: sess,
                           quantity: rng.chance(0.9) ? 1 : 2, payment: rng.pick(a.payments), coupon: coupon, out: &out)
            t += Int64(rng.int(in: 3000...40_000))
        }
        if !a.follows.isEmpty && rng.chance(0.05) {
            var f = base(a, "follow", t, device: dev, ip: ip, session: sess)
            f.target = accounts[rng.pick(a.follows)].id
            out.append(f)
        } else if rng.chance(0.02) {
            var f = base(a, "follow", t, device: dev, ip: ip, session: sess)
            f.target = accounts[rng.pick(sellers)].id
            out.append(f)
        }
        if rng.chance(0.04) {
            let s = accounts[items[lastItem >= 0 ? lastItem : pickItem(for: a)].seller]
            var m = base(a, "message", t + 5000, device: dev, ip: ip, session: sess)
            m.target = s.id
            m.text = rng.pick(Catalog.questions).replacingOccurrences(of: "%C", with: a.country.code)
            out.append(m)
        }
        if rng.chance(0.1) { out.append(base(a, "logout", t + 10_000, device: dev, ip: ip, session: sess)) }
    }

    func ordinaryDay(_ a: Account, day: Int, out: inout [Event]) {
        let dayStart = start + Int64(day) * dayMs
        if a.createdAt >= dayStart + dayMs { return }          // not signed up yet
        if a.busyDays.contains(day) { return }
        if !a.scripted && a.createdAt >= dayStart && a.createdAt < dayStart + dayMs {
            var s = base(a, "signup", a.createdAt, device: a.devices[0], ip: sessionIP(a))
            s.country = a.country.code
            out.append(s)
            browse(a, at: a.createdAt + Int64(rng.int(in: 20_000...600_000)), day: day, out: &out)
        }
        var n = rng.poisson(a.activity)
        if let trip = a.travel, day >= trip.from, day <= trip.to {
            n = max(1, n)
            for _ in 0..<n {
                let t = sessionStart(a, day: day)
                let dev = trip.newDevice ?? a.devices[0]
                var l = base(a, "login", t, device: dev, ip: residentialIP(trip.country), session: nil)
                l.country = trip.country.code; l.status = "ok"
                out.append(l)
                browse(a, at: t + 15_000, day: day, out: &out, country: trip.country, device: dev)
            }
            return
        }
        for _ in 0..<n {
            let t = sessionStart(a, day: day)
            if t < a.createdAt || t > a.dormantAfter { continue }
            browse(a, at: t, day: day, out: &out)
        }
        // Live shows of followed creators.
        for si in showsByDay[day] ?? [] {
            let show = shows[si]
            let follows = a.follows.contains(show.creator)
            let p = show.mega ? (follows ? 0.5 : 0.03) : (follows ? 0.25 : 0.001)
            guard rng.chance(p) else { continue }
            let join = show.start + Int64(rng.exponential(mean: Double(show.minutes) * 0.3) * 60_000)
            guard join < show.start + Int64(show.minutes) * 60_000 else { continue }
            var v = base(a, "live_view", join, device: a.devices[0], ip: sessionIP(a), session: newSession())
            v.target = accounts[show.creator].id
            out.append(v)
            if show.mega { a.truth.tag("live_crowd") }
        }
    }

    // MARK: running

    public func run(outDir: String) throws -> SimSummary {
        let t0 = Date()
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        buildWorld()
        randomPopulation()
        injectLookalikes()
        injectAttacks()

        var summary = SimSummary()
        let ext = (cfg.format == .csv ? "csv" : "jsonl") + (cfg.gzip ? ".gz" : "")
        var renderer = TimeRenderer(mode: cfg.timestamps, rng: rng.fork(7))

        // accounts
        let accPath = (outDir as NSString).appendingPathComponent("accounts.\(ext)")
        let accW = try ContractWriter(path: accPath, format: cfg.format,
                                      columns: ["account_id", "created_at", "kind", "country", "email", "phone"], gzip: cfg.gzip)
        for a in accounts {
            try accW.write([a.id, renderer.render(a.createdAt, tzMinutes: a.country.tzMinutes), a.kind, a.country.code, a.email, a.phone])
        }
        try accW.close()
        // items
        let itPath = (outDir as NSString).appendingPathComponent("items.\(ext)")
        let itW = try ContractWriter(path: itPath, format: cfg.format,
                                     columns: ["item_id", "seller_id", "title", "category", "price", "currency", "limited", "drop_at"], gzip: cfg.gzip)
        for it in items {
            try itW.write([it.id, accounts[it.seller].id, it.title, Catalog.categories[it.category].name,
                           String(format: "%.2f", it.price), "USD", it.limited ? "true" : "false",
                           it.limited ? renderer.render(it.dropAt, tzMinutes: 0) : nil])
        }
        try itW.close()
        // events, a day at a time, roughly time-ordered with late and duplicated deliveries
        let evPath = (outDir as NSString).appendingPathComponent("events.\(ext)")
        let columns = ["event_id", "ts", "account_id", "type", "device_id", "ip", "country", "session_id", "item_id",
                       "seller_id", "order_id", "quantity", "amount", "currency", "coupon_id", "payment_id",
                       "address_id", "target_id", "rating", "status", "text", "app_version"]
        let evW = try ContractWriter(path: evPath, format: cfg.format, columns: columns, gzip: cfg.gzip)
        var late: [Event] = []
        var pending: [Event] = []
        var delivery = rng.fork(11)
        // Sessions follow local time, so a UTC day's activity starts up to ~8 h before it and
        // ends after it: hold events back until no later day can produce earlier ones.
        let maxEastMinutes = Int64(countries.map(\.tzMinutes).max() ?? 0)
        for day in 0..<cfg.days {
            pending += scheduled.removeValue(forKey: day) ?? []
            for a in accounts { ordinaryDay(a, day: day, out: &pending) }
            pending.sort { $0.ts < $1.ts }
            let horizon = day == cfg.days - 1 ? Int64.max : start + Int64(day + 1) * dayMs - (maxEastMinutes + 60) * 60_000
            let cut = pending.firstIndex { $0.ts >= horizon } ?? pending.count
            var emitted: [Event] = late
            late.removeAll()
            emitted.reserveCapacity(cut + 64)
            for e in pending[..<cut] {
                if delivery.chance(0.003) { late.append(e); continue }              // arrives a day late
                emitted.append(e)
                if delivery.chance(0.001) { late.append(e) }                        // delivered twice
            }
            pending.removeFirst(cut)
            for e in emitted {
                try evW.write(row(e, &renderer))
                summary.events += 1
            }
        }
        for e in late { try evW.write(row(e, &renderer)); summary.events += 1 }
        try evW.close()

        // ground truth
        let truthPath = (outDir as NSString).appendingPathComponent("truth.csv")
        var truth = "account_id,label,attack,group,lookalike\n"
        for a in accounts {
            truth += "\(a.id),\(a.truth.fraud ? "fraud" : "legit"),\(a.truth.attack),\(a.truth.group),\(a.truth.lookalikes.sorted().joined(separator: "|"))\n"
            if a.truth.fraud { summary.fraudAccounts += 1; summary.attacks[a.truth.attack, default: 0] += 1 }
        }
        try truth.write(toFile: truthPath, atomically: true, encoding: .utf8)
        summary.accounts = accounts.count
        summary.items = items.count
        summary.files = [accPath, itPath, evPath, truthPath]
        summary.seconds = Date().timeIntervalSince(t0)
        return summary
    }

    func row(_ e: Event, _ r: inout TimeRenderer) -> [String?] {
        [e.id, r.render(e.ts, tzMinutes: e.tzMinutes), e.account, e.type, e.device, e.ip, e.country, e.session, e.item,
         e.seller, e.order, e.quantity.map(String.init), e.amount.map { String(format: "%.2f", $0) }, e.currency,
         e.coupon, e.payment, e.address, e.target, e.rating.map(String.init), e.status, e.text, e.appVersion]
    }
}
