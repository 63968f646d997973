import Foundation

/// Which marketplace to simulate: the standard one (fixed structure, for demos and fixtures)
/// or a random world whose structure and attack parameters are all drawn from the seed.
public enum SimWorld: String, Sendable, CaseIterable { case standard, random }

/// The structure of a world and the ranges every attack draws from. The standard world uses
/// the defaults (and draws nothing extra, so its files stay byte-identical); a random world
/// draws each value from a wide range on its own stream, so the same seed is the same world.
struct WorldParams {
    var random = false
    // Population.
    var mobileShare = 0.45
    var natPerCountry = 2
    var householdShare = 0.012
    var householdSize = 2...5
    var officeCount = 0
    var officeSize = 10...200
    var officeUse = 0.4
    var megaShare = 0.0            // share of browsing (so of orders) going to the mega-seller
    var megaItems = 0
    var sellerTail = 1.5           // Pareto shape of catalogue sizes (smaller = heavier tail)
    var reviewRateMedian = 0.3
    var shortReviewerShare = 0.0   // buyers whose reviews are a word or two, nearly always 5★
    var refundRate = 0.03
    // Attacks.
    var atoRate = 0.002...0.004
    var atoResetShare = 1.0
    var atoAbroadShare = 1.0
    var brushRings = 2...5
    var brushFakes = 6...45
    var brushMega = false
    var farms = 1...3
    var farmMembers = 15...90
    var dealGroups = 5...12
    var dealMembers = 4...22
    var scalpGroups = 1...3
    var scalpBots = 3...12
    var scrapers = 2...6
    var scrapeInterval = 1.0...6.0
    var spamGroups = 1...3
    var spamMembers = 2...8
    var spamGapMedian = 20_000.0
    var refundRings = 0...0
    var refundMembers = 3...20

    /// Draws a random world's parameters from wide ranges.
    static func draw(seed: UInt64) -> WorldParams {
        var r = SimRandom(seed: seed ^ 0x5EED_0FA0_5D1C_E500)
        func logUniform(_ a: Double, _ b: Double) -> Double { exp(r.uniform(log(a), log(b))) }
        func range(_ lo: ClosedRange<Int>, _ width: ClosedRange<Int>) -> ClosedRange<Int> {
            let a = r.int(in: lo)
            return a...(a + r.int(in: width))
        }
        var p = WorldParams()
        p.random = true
        p.mobileShare = r.uniform(0.2, 0.75)
        p.natPerCountry = r.int(in: 1...4)
        p.householdShare = r.uniform(0.005, 0.04)
        p.householdSize = 2...r.int(in: 4...9)
        p.officeCount = r.int(in: 0...12)
        p.officeSize = r.int(in: 5...30)...r.int(in: 60...400)
        p.officeUse = r.uniform(0.2, 0.7)
        p.megaShare = r.uniform(0.3, 0.6)
        p.megaItems = r.int(in: 80...600)
        p.sellerTail = r.uniform(0.9, 2.0)
        p.reviewRateMedian = r.uniform(0.1, 0.5)
        p.shortReviewerShare = r.uniform(0.05, 0.45)
        p.refundRate = r.uniform(0.01, 0.06)
        let ato = r.uniform(0.0015, 0.006)
        p.atoRate = ato...(ato * 1.3)
        p.atoResetShare = r.uniform(0.2, 0.8)
        p.atoAbroadShare = r.uniform(0.3, 0.95)
        p.brushRings = range(1...4, 0...4)
        p.brushFakes = range(4...10, 10...60)
        p.brushMega = r.chance(0.25)
        p.farms = range(1...2, 0...3)
        p.farmMembers = range(8...25, 20...120)
        p.dealGroups = range(2...8, 0...10)
        p.dealMembers = range(3...6, 5...30)
        p.scalpGroups = range(1...2, 0...3)
        p.scalpBots = range(2...5, 3...18)
        p.scrapers = range(2...4, 1...8)
        let slow = logUniform(1, 90)
        p.scrapeInterval = min(slow, 3)...max(slow, 4)
        p.spamGroups = range(1...2, 0...3)
        p.spamMembers = range(1...3, 1...10)
        p.spamGapMedian = logUniform(5_000, 600_000)
        p.refundRings = range(1...3, 0...4)
        p.refundMembers = range(3...5, 3...20)
        return p
    }
}

/// Short reviews many honest buyers leave: a word or two, nearly always five stars.
enum ShortReviews {
    static let texts = ["Good", "good", "Ok", "ok", "Nice", "Mantap", "5 stars", "👍", "Fast delivery", "Thanks",
                        "Good product", "Recommended", "Bagus", "ดีมาก", "Tốt", "Great", "Love it", "As described"]
}

extension Simulator {
    // MARK: random-world structure

    /// Catalogue size of a seller in a random world: Pareto-tailed, the mega-seller biggest.
    func randomCatalogueSize(seller rank: Int) -> Int {
        if rank == 0 { return world.megaItems }
        let u = max(rng.unit(), 1e-9)
        return min(400, Int(3 * pow(u, -1 / world.sellerTail)))
    }

    /// Random worlds: offices (a shared static IP for their staff's sessions) and per-buyer review habits.
    func randomPopulation() {
        guard world.random else { return }
        var pool = buyers.shuffled(using: &rng)
        for o in 0..<Int((Double(world.officeCount) * scale).rounded()) {
            let ip = "\(rng.int(in: 1...223)).\(rng.int(in: 0...255)).\(rng.int(in: 0...255)).\(rng.int(in: 1...254))"
            let n = min(pool.count, max(2, Int(Double(rng.int(in: world.officeSize)) * min(1, max(0.25, scale)))))
            for _ in 0..<n {
                guard let i = pool.popLast() else { break }
                accounts[i].officeIP = ip
                accounts[i].truth.tag("office")
                accounts[i].truth.tag("office-\(o + 1)")
            }
        }
        for b in buyers {
            let a = accounts[b]
            a.reviewRate = min(0.95, rng.lognormal(median: world.reviewRateMedian, sigma: 0.7))
            a.shortReviewer = rng.chance(world.shortReviewerShare)
            if a.shortReviewer { a.truth.tag("short_reviewer") }
        }
    }

    // MARK: random-world attack variants

    /// Takeovers with and without a password reset, from abroad or from the victim's own
    /// country, with varied follow-up (address, card, expensive orders).
    func injectTakeoversRandom(_ pool: inout [Int]) {
        let prices = items.map(\.price).sorted()
        let cut = prices.isEmpty ? 0 : prices[Int(Double(prices.count) * rng.uniform(0.6, 0.9))]
        let expensive = items.indices.filter { items[$0].price >= cut && !items[$0].limited }
        let victims = take(max(1, Int(Double(buyers.count) * rng.uniform(world.atoRate.lowerBound, world.atoRate.upperBound))), pool: &pool, aged: true)
        for (k, a) in victims.enumerated() {
            a.truth.fraud = true
            a.truth.attack = "ato"
            a.truth.group = "ato-\(k + 1)"
            a.activity = max(a.activity, rng.uniform(0.1, 0.4))
            let day = rng.int(in: min(3, cfg.days - 1)...max(min(3, cfg.days - 1), cfg.days - 2))
            let abroad = rng.chance(world.atoAbroadShare)
            var dest = a.country
            if abroad { while dest.code == a.country.code { dest = rng.pick(countries) } }
            let dev = newDevice()
            let ip = rng.chance(abroad ? 0.5 : 0.3) ? datacenterIP() : residentialIP(dest)
            var t = start + Int64(day) * dayMs + Int64(rng.int(86_400)) * 1000
            var out: [Event] = []
            let reset = rng.chance(world.atoResetShare)
            let fails = reset ? (rng.chance(0.3) ? rng.int(in: 0...2) : rng.int(in: 3...15)) : (rng.chance(0.6) ? 0 : rng.int(in: 1...3))
            for _ in 0..<fails {
                var l = base(a, "login", t, device: dev, ip: ip); l.status = "fail"; l.country = dest.code
                out.append(l)
                t += Int64(rng.int(in: 2_000...40_000))
            }
            if reset {
                var r = base(a, "password_reset", t + Int64(rng.int(in: 20_000...300_000)), device: dev, ip: ip); r.country = dest.code
                out.append(r)
                t = r.ts
            }
            t += Int64(rng.int(in: 30_000...600_000))
            let sess = newSession()
            var l = base(a, "login", t, device: dev, ip: ip, session: sess); l.status = "ok"; l.country = dest.code
            out.append(l)
            var addr = a.addresses[0]
            if rng.chance(0.75) {
                addr = newAddress()
                t += Int64(rng.int(in: 60_000...1_800_000))
                var c = base(a, "address_change", t, device: dev, ip: ip, session: sess); c.address = addr
                out.append(c)
            }
            let pay = rng.chance(0.5) ? newPayment() : a.payments[0]
            for _ in 0..<rng.int(in: 1...4) {
                t += Int64(rng.int(in: 60_000...5_400_000))
                let item = expensive.isEmpty ? rng.int(items.count) : rng.pick(expensive)
                if rng.chance(0.5) {
                    var v = base(a, "view", t - Int64(rng.int(in: 5_000...60_000)), device: dev, ip: ip, session: sess)
                    v.item = items[item].id; v.seller = accounts[items[item].seller].id
                    out.append(v)
                }
                t = placeOrder(a, item: item, at: t, device: dev, ip: ip, session: sess, quantity: rng.int(in: 1...3),
                               payment: pay, address: addr, out: &out, honest: false)
            }
            if rng.chance(0.6) {   // the owner notices later: locked out (or not), resets from their own phone
                ownerResets(a, at: t + Int64(rng.uniform(0.3, 3) * Double(dayMs)), out: &out)
            }
            a.busyDays.insert(day)
            out.forEach(schedule)
        }
    }

    /// Scrapers at any pace from one a second to one a minute and more, machine-regular,
    /// walking items, profiles or both, over one or many sessions.
    func injectScrapersRandom(_ pool: inout [Int]) {
        for (k, a) in take(scaled(world.scrapers), pool: &pool).enumerated() {
            mark(a, "scraper", "scrape-\(k + 1)")
            a.activity = rng.uniform(0, 0.2)
            let mode = rng.int(3)   // 0 items, 1 profiles, 2 both
            let interval = exp(rng.uniform(log(world.scrapeInterval.lowerBound), log(world.scrapeInterval.upperBound)))
            let jitter = rng.uniform(0.02, 0.3)
            let block = rng.pick(datacenter)
            let rotate = rng.chance(0.3)
            let ipFixed = rng.chance(0.6) ? datacenterIP() : rng.pick(a.country.nat)
            let dev = rng.chance(0.5) ? newDevice() : a.devices[0]
            var cursor = rng.int(max(items.count, accounts.count))
            let sessions = rng.int(in: 1...(interval > 20 ? 12 : 4))
            for _ in 0..<sessions {
                let day = rng.int(cfg.days)
                let t = start + Int64(day) * dayMs + Int64(rng.int(86_400)) * 1000
                let hours = interval > 20 ? rng.uniform(2, 10) : rng.uniform(0.3, 3)
                let n = min(6000, max(40, Int(hours * 3600 / interval)))
                let sess = newSession()
                let ip = rotate ? block + ".\(rng.int(in: 2...250))" : ipFixed
                scrapeSession(a, n: n, from: t, interval: interval, jitter: jitter, device: dev, ip: ip, session: sess,
                              cursor: &cursor) { mode == 1 || (mode == 2 && rng.chance(0.5)) }
            }
        }
    }

    /// Click-farms whose members each join only some jobs, over windows from a minute to
    /// hours, on mixed targets (item views, follows, live rooms) within one job.
    func injectClickFarmsRandom(_ pool: inout [Int]) {
        for g in 0..<scaled(world.farms) {
            let group = "farm-\(g + 1)"
            let members = take(max(5, Int(Double(rng.int(in: world.farmMembers)) * min(1.5, max(0.3, scale)))), pool: &pool)
            let devices = (0..<max(2, members.count / rng.int(in: 1...6))).map { _ in newDevice() }
            let useDC = rng.chance(0.5)
            let resPrefix = rng.pick(rng.pick(countries).residential)
            let ips = (0..<rng.int(in: 2...(members.count / 2 + 3))).map { _ in useDC ? datacenterIP() : "\(resPrefix).\(rng.int(in: 0...255)).\(rng.int(in: 1...254))" }
            let lo = rng.uniform(0.1, 0.5), hi = rng.uniform(max(lo, 0.5), 0.95)
            var propensity: [Double] = []
            for a in members {
                mark(a, "click_farm", group)
                a.activity = rng.uniform(0.0, 0.2)
                a.devices = [rng.pick(devices)]
                propensity.append(rng.uniform(lo, hi))
            }
            let clients = rng.sample(sellers + creators, rng.int(in: 2...10))
            let mixed = rng.uniform(0, 1)
            for _ in 0..<rng.int(in: 6...40) {
                let client = accounts[rng.pick(clients)]
                let day = rng.int(cfg.days)
                let t0 = randomDayTime(day, tz: client.country.tzMinutes)
                let show = (showsByDay[day] ?? []).map { shows[$0] }.randomElement(using: &rng)
                let window = exp(rng.uniform(log(1), log(180))) * 60_000
                let clientItems = itemsBySeller[client.index] ?? []
                let targetItems = clientItems.isEmpty ? [] : rng.sample(clientItems, rng.int(in: 1...4))
                let jobKind = rng.int(3)
                for (m, a) in members.enumerated() where rng.chance(propensity[m]) {
                    var kind = rng.chance(mixed) ? rng.int(3) : jobKind
                    if kind == 2 && show == nil { kind = 1 }
                    if kind == 0 && targetItems.isEmpty { kind = 1 }
                    var out: [Event] = []
                    let sess = newSession(), ip = rng.pick(ips)
                    switch kind {
                    case 0:
                        var tt = t0 + Int64(rng.unit() * window)
                        for it in targetItems {
                            var v = base(a, "view", tt, device: a.devices[0], ip: ip, session: sess)
                            v.item = items[it].id; v.seller = accounts[items[it].seller].id
                            out.append(v)
                            tt += Int64(rng.int(in: 2_000...30_000))
                        }
                    case 1:
                        let t = t0 + Int64(rng.unit() * window)
                        var p = base(a, "profile_view", t - Int64(rng.int(in: 1_000...8_000)), device: a.devices[0], ip: ip, session: sess)
                        p.target = client.id
                        out.append(p)
                        var f = base(a, "follow", t, device: a.devices[0], ip: ip, session: sess)
                        f.target = client.id
                        out.append(f)
                    default:
                        let s = show!
                        let t = s.start + Int64(rng.unit() * min(window, Double(s.minutes) * 60_000))
                        var v = base(a, "live_view", t, device: a.devices[0], ip: ip, session: sess)
                        v.target = accounts[s.creator].id
                        out.append(v)
                    }
                    out.forEach(schedule)
                }
            }
        }
    }

    /// Refund-abuse rings: accounts sharing delivery addresses and payment instruments whose
    /// orders mostly end in "not received" refund claims.
    func injectRefundAbuse(_ pool: inout [Int]) {
        let prices = items.map(\.price).sorted()
        let floor = prices.isEmpty ? 0 : prices[prices.count / 3]
        let worth = items.indices.filter { items[$0].price >= floor && !items[$0].limited }
        guard !worth.isEmpty else { return }
        let claims = ["never arrived", "package not delivered", "tracking says delivered but nothing came", "not received",
                      "still waiting, nothing arrived", "empty box", ""]
        for g in 0..<scaled(world.refundRings) {
            let group = "refund-\(g + 1)"
            let members = take(rng.int(in: world.refundMembers), pool: &pool)
            guard members.count >= 2 else { break }
            let addresses = (0..<rng.int(in: 1...3)).map { _ in newAddress() }
            let cards = (0..<rng.int(in: 1...4)).map { _ in newPayment() }
            let devices = (0..<max(1, members.count / rng.int(in: 1...4))).map { _ in newDevice() }
            let claimShare = rng.uniform(0.55, 0.95)
            let notReceived = rng.uniform(0.6, 1.0)
            let fresh = rng.chance(0.4)
            for a in members {
                mark(a, "refund_abuse", group)
                a.scripted = false
                a.activity = rng.uniform(0.03, 0.3)
                a.addresses = [rng.pick(addresses)]
                a.payments = [rng.pick(cards)]
                if rng.chance(0.6) { a.devices = [rng.pick(devices)] }
                if fresh && rng.chance(0.6) { a.createdAt = start + Int64(rng.uniform(0, 8) * Double(dayMs)) }
                for _ in 0..<rng.int(in: 2...8) {
                    let last = max(0, cfg.days - 4)   // leave time for the claim to land in the window
                    let day = rng.int(in: min(last, max(0, Int((a.createdAt - start) / dayMs) + 1))...last)
                    var t = randomDayTime(day, tz: a.country.tzMinutes)
                    if t < a.createdAt { t = a.createdAt + 3_600_000 }
                    var out: [Event] = []
                    let sess = newSession(), ip = sessionIP(a)
                    let item = rng.pick(worth)
                    for _ in 0..<rng.int(in: 0...3) {
                        var v = base(a, "view", t, device: a.devices[0], ip: ip, session: sess)
                        v.item = items[item].id; v.seller = accounts[items[item].seller].id
                        out.append(v)
                        t += Int64(rng.lognormal(median: 20_000, sigma: 0.8))
                    }
                    let end = placeOrder(a, item: item, at: t, device: a.devices[0], ip: ip, session: sess,
                                         quantity: rng.chance(0.8) ? 1 : 2, payment: a.payments[0], address: a.addresses[0],
                                         out: &out, honest: false)
                    if rng.chance(claimShare) {
                        let order = out.first { $0.type == "order" }!
                        let room = max(1.5, min(16, Double(self.end - end) / Double(dayMs) - 0.5))
                        var r = base(a, "refund", end + Int64(rng.uniform(1, room) * Double(dayMs)), device: nil, ip: nil)
                        r.order = order.order; r.amount = order.amount; r.currency = "USD"
                        r.status = rng.chance(notReceived) ? "not_received" : rng.pick(["damaged", "not_as_described"])
                        let text = rng.pick(claims)
                        if !text.isEmpty { r.text = text }
                        out.append(r)
                    }
                    out.forEach(schedule)
                }
            }
        }
    }
}
