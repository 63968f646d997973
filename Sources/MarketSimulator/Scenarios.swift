import Foundation

/// Innocent look-alikes and injected attacks. Every size, count, camouflage level and
/// timing is drawn from the seed; detection has to rest on behaviour, not on constants here.
extension Simulator {
    var scale: Double { Double(accounts.count) / 20_000 }

    /// Count scaled to the population, at least `min`.
    func scaled(_ r: ClosedRange<Int>, min m: Int = 1) -> Int {
        max(m, Int((Double(rng.int(in: r)) * scale).rounded()))
    }

    /// Takes `n` ordinary buyers not yet used by a scenario.
    func take(_ n: Int, pool: inout [Int], aged: Bool = false) -> [Account] {
        var out: [Account] = []
        while out.count < n, !pool.isEmpty {
            let i = pool.removeLast()
            let a = accounts[i]
            if aged && a.createdAt > start - 60 * dayMs { continue }
            out.append(a)
        }
        return out
    }

    func randomDayTime(_ day: Int, tz: Int) -> Int64 {
        start + Int64(day) * dayMs + Int64(rng.weighted(diurnal) * 60 - tz + rng.int(60)) * 60_000 + Int64(rng.int(60_000))
    }

    // MARK: look-alikes

    func injectLookalikes() {
        var pool = buyers.shuffled(using: &rng)
        // Families share a device, a home address, often a card; some members are new and
        // take the new-user coupon like anyone else.
        let nFamilies = Int(Double(buyers.count) * world.householdShare)
        for f in 0..<nFamilies {
            let members = take(world.random ? min(world.householdSize.upperBound, 2 + Int(rng.exponential(mean: 1.2))) : rng.int(in: world.householdSize), pool: &pool)
            guard members.count >= 2 else { break }
            let device = members[0].devices[0], address = members[0].addresses[0], card = members[0].payments[0]
            let shareCard = rng.chance(0.5)
            for m in members {
                m.devices[0] = device
                m.addresses[0] = address
                m.homeIP = members[0].homeIP
                if shareCard { m.payments[0] = card }
                m.truth.tag("family")
                m.truth.group = "family-\(f + 1)"
            }
        }
        // Travellers log in abroad, on their own phone (sometimes a new one), without a reset.
        for a in take(Int(Double(buyers.count) * 0.015), pool: &pool, aged: true) {
            let from = rng.int(in: 0...max(0, cfg.days - 4))
            var dest = rng.pick(countries)
            while dest.code == a.country.code { dest = rng.pick(countries) }
            a.travel = (from, min(cfg.days - 1, from + rng.int(in: 3...10)), dest, rng.chance(0.2) ? newDevice() : nil)
            a.activity = max(a.activity, 0.6)
            a.truth.tag("traveller")
        }
        // Forgotten passwords: a couple of failures and a reset, on their own device at home.
        for a in take(Int(Double(buyers.count) * 0.02), pool: &pool, aged: true) {
            let day = rng.int(cfg.days)
            let t = randomDayTime(day, tz: a.country.tzMinutes)
            var out: [Event] = []
            let dev = a.devices[0], ip = sessionIP(a)
            var tt = t
            for _ in 0..<rng.int(in: 1...3) {
                var l = base(a, "login", tt, device: dev, ip: ip); l.status = "fail"; l.country = a.country.code
                out.append(l); tt += Int64(rng.int(in: 8_000...60_000))
            }
            var r = base(a, "password_reset", tt + 30_000, device: dev, ip: ip); r.country = a.country.code
            out.append(r)
            var l = base(a, "login", tt + Int64(rng.int(in: 90_000...600_000)), device: dev, ip: ip); l.status = "ok"; l.country = a.country.code
            out.append(l)
            if rng.chance(0.3) {   // and some of them moved house
                let addr = newAddress()
                a.addresses.insert(addr, at: 0)
                var c = base(a, "address_change", l.ts + 120_000, device: dev, ip: ip); c.address = addr
                out.append(c)
                a.truth.tag("moved")
            }
            out.forEach(schedule)
            a.truth.tag("forgot_password")
        }
        // VPN users browse from hosting-provider addresses.
        for a in take(Int(Double(buyers.count) * 0.01), pool: &pool) {
            a.vpn = true
            a.truth.tag("vpn")
        }
        // Fans wait for a drop, watching the item, and buy within seconds — once, one piece.
        let fanPool = buyers.filter { !accounts[$0].scripted }
        for d in drops {
            let item = items[d]
            let fans = rng.sample(fanPool, max(5, Int(Double(rng.int(in: 20...120)) * scale)))
            for fi in fans {
                let a = accounts[fi]
                if a.createdAt > item.dropAt { continue }
                var out: [Event] = []
                for _ in 0..<rng.int(in: 1...3) {
                    let before = item.dropAt - Int64(rng.uniform(0.1, 5) * Double(dayMs))
                    var v = base(a, "view", before, device: a.devices[0], ip: sessionIP(a), session: newSession())
                    v.item = item.id; v.seller = accounts[item.seller].id
                    out.append(v)
                }
                let sess = newSession(), ip = sessionIP(a), dev = a.devices[0]
                var t = item.dropAt - Int64(rng.int(in: 30...600)) * 1000
                for _ in 0..<rng.int(in: 1...4) {
                    var v = base(a, "view", t, device: dev, ip: ip, session: sess)
                    v.item = item.id; v.seller = accounts[item.seller].id
                    out.append(v)
                    t += Int64(rng.int(in: 15...120)) * 1000
                }
                let react = rng.chance(0.12) ? rng.uniform(2.5, 6) : rng.lognormal(median: 14, sigma: 0.8) + 2
                let buyAt = item.dropAt + Int64(react * 1000)
                var c = base(a, "add_to_cart", buyAt - Int64(rng.int(in: 800...2500)), device: dev, ip: ip, session: sess)
                c.item = item.id; c.seller = accounts[item.seller].id; c.quantity = 1
                out.append(c)
                placeOrder(a, item: d, at: buyAt, device: dev, ip: ip, session: sess, quantity: 1,
                           payment: a.payments[0], out: &out, reviewChance: 0.4)
                out.forEach(schedule)
                a.truth.tag("drop_fan")
            }
        }
        attackPool = pool.filter { !accounts[$0].truth.lookalikes.contains("drop_fan") }
    }

    // MARK: attacks

    func mark(_ a: Account, _ attack: String, _ group: String) {
        a.truth.fraud = true
        a.truth.attack = attack
        a.truth.group = group
        a.scripted = true
    }

    func injectAttacks() {
        var pool = attackPool
        // ATO victims are ordinary aged customers; pick them from everyone left.
        if world.random { injectTakeoversRandom(&pool) } else { injectTakeovers(&pool) }
        injectBrushing(&pool)
        if world.random { injectClickFarmsRandom(&pool) } else { injectClickFarms(&pool) }
        injectDealHunters(&pool)
        injectScalpers(&pool)
        if world.random { injectScrapersRandom(&pool) } else { injectScrapers(&pool) }
        injectSpam(&pool)
        if world.random { injectRefundAbuse(&pool) }
    }

    func injectBrushing(_ pool: inout [Int]) {
        var sellerPool = sellers.shuffled(using: &rng)
        if world.random {   // the mega-seller brushes too, in some worlds (its honest buyers are then the look-alikes)
            sellerPool.removeAll { $0 == megaSeller }
            if world.brushMega { sellerPool.append(megaSeller) }
        }
        for g in 0..<scaled(world.brushRings) {
            guard let si = sellerPool.popLast() else { break }
            let seller = accounts[si]
            let group = "brushing-\(g + 1)"
            mark(seller, "brushing", group)
            seller.scripted = false          // the seller keeps trading normally
            let sellerItems = itemsBySeller[si] ?? []
            guard !sellerItems.isEmpty else { continue }
            let fakes = take(world.random ? max(3, Int(Double(rng.int(in: world.brushFakes)) * min(1.5, max(0.4, scale))))
                                          : rng.int(in: 6...min(45, max(6, Int(40 * scale) + 6))), pool: &pool)
            let devices = (0..<max(2, fakes.count / rng.int(in: 2...5))).map { _ in newDevice() }
            let addresses = (0..<rng.int(in: 2...4)).map { _ in newAddress() }
            let cards = (0..<rng.int(in: 2...6)).map { _ in newPayment() }
            let templates = brushingTemplates()
            let from = rng.int(max(1, cfg.days / 3)), to = rng.int(in: max(from + 3, cfg.days * 2 / 3)...max(from + 3, cfg.days - 1))
            let boosted = rng.sample(sellerItems, rng.int(in: 1...min(4, sellerItems.count)))
            for a in fakes {
                mark(a, "brushing", group)
                a.activity = rng.uniform(0.02, 0.25)     // camouflage: some ordinary browsing
                a.devices = [rng.pick(devices)]
                a.addresses = [rng.pick(addresses)]
                a.payments = [rng.pick(cards)]
                let ip = rng.chance(0.5) ? datacenterIP() : sessionIP(a)
                for _ in 0..<rng.int(in: 2...9) {
                    let day = rng.int(in: from...min(to, cfg.days - 1))
                    var out: [Event] = []
                    let t = randomDayTime(day, tz: a.country.tzMinutes)
                    let item = rng.pick(boosted)
                    let sess = newSession()
                    var tt = t
                    if rng.chance(0.5) {
                        var v = base(a, "view", tt, device: a.devices[0], ip: ip, session: sess)
                        v.item = items[item].id; v.seller = seller.id
                        out.append(v)
                        tt += Int64(rng.int(in: 3_000...40_000))
                    }
                    let end = placeOrder(a, item: item, at: tt, device: a.devices[0], ip: ip, session: sess,
                                         quantity: 1, payment: a.payments[0], address: a.addresses[0], out: &out, honest: false)
                    if rng.chance(0.9) {
                        var r = base(a, "review", end + Int64(rng.uniform(0.5, 3) * Double(dayMs)), device: a.devices[0], ip: ip)
                        r.order = out.first { $0.type == "order" }?.order
                        r.item = items[item].id; r.seller = seller.id
                        r.rating = rng.chance(0.93) ? 5 : 4
                        r.text = rng.chance(0.85) ? vary(rng.pick(templates)) : nil
                        out.append(r)
                    }
                    out.forEach(schedule)
                }
            }
        }
    }

    func brushingTemplates() -> [String] {
        let all = ["Great product, fast delivery", "Excellent quality, highly recommend", "Very good seller, will order again",
                   "Item as described, 5 stars", "Super fast shipping and good packaging", "Amazing quality for the price",
                   "Good product good seller", "Love it, thank you seller", "Original product, trusted shop"]
        return rng.sample(all, rng.int(in: 2...4))
    }

    /// Small edits a ring makes so its texts aren't byte-identical.
    func vary(_ s: String) -> String {
        var t = s
        switch rng.int(6) {
        case 0: t = t.lowercased()
        case 1: t += "!!"
        case 2: t += " 👍👍"
        case 3: t = t.replacingOccurrences(of: ",", with: "")
        case 4: t += "."
        default: break
        }
        return t
    }

    func injectClickFarms(_ pool: inout [Int]) {
        for g in 0..<scaled(1...3) {
            let group = "farm-\(g + 1)"
            let members = take(rng.int(in: 15...max(15, min(90, Int(80 * scale) + 15))), pool: &pool)
            let devices = (0..<max(2, members.count / rng.int(in: 2...5))).map { _ in newDevice() }
            let useDC = rng.chance(0.6)
            let resPrefix = rng.pick(rng.pick(countries).residential)
            let ips = (0..<rng.int(in: 3...10)).map { _ in useDC ? datacenterIP() : "\(resPrefix).\(rng.int(in: 0...255)).\(rng.int(in: 1...254))" }
            for a in members {
                mark(a, "click_farm", group)
                a.activity = rng.uniform(0.0, 0.12)
                a.devices = [rng.pick(devices)]
            }
            // Jobs: the farm acts on one client's targets at a time, within minutes.
            let clients = rng.sample(sellers + creators, rng.int(in: 3...8))
            for _ in 0..<rng.int(in: 8...30) {
                let client = accounts[rng.pick(clients)]
                let day = rng.int(cfg.days)
                var t0 = randomDayTime(day, tz: client.country.tzMinutes)
                var kind = rng.int(3)
                var showTarget: Show? = nil
                if kind == 2 {
                    let todays = (showsByDay[day] ?? []).map { shows[$0] }
                    if let s = todays.randomElement(using: &rng) { showTarget = s; t0 = s.start + Int64(rng.int(in: 1...20)) * 60_000 }
                    else { kind = 0 }
                }
                let window = Double(rng.int(in: 2...15)) * 60_000
                let clientItems = itemsBySeller[client.index] ?? []
                if kind == 0 && clientItems.isEmpty { kind = 1 }
                let targetItems = clientItems.isEmpty ? [] : rng.sample(clientItems, rng.int(in: 1...3))
                let share = rng.uniform(0.6, 0.95)
                for a in members where rng.chance(share) {
                    var out: [Event] = []
                    let t = t0 + Int64(rng.unit() * window)
                    let sess = newSession(), ip = rng.pick(ips)
                    switch kind {
                    case 0:
                        var tt = t
                        for it in targetItems {
                            var v = base(a, "view", tt, device: a.devices[0], ip: ip, session: sess)
                            v.item = items[it].id; v.seller = accounts[items[it].seller].id
                            out.append(v)
                            tt += Int64(rng.int(in: 2_000...15_000))
                        }
                    case 1:
                        var f = base(a, "follow", t, device: a.devices[0], ip: ip, session: sess)
                        f.target = client.id
                        out.append(f)
                        var p = base(a, "profile_view", t - Int64(rng.int(in: 1_000...8_000)), device: a.devices[0], ip: ip, session: sess)
                        p.target = client.id
                        out.append(p)
                    default:
                        var v = base(a, "live_view", t, device: a.devices[0], ip: ip, session: sess)
                        v.target = accounts[showTarget!.creator].id
                        out.append(v)
                    }
                    out.forEach(schedule)
                }
            }
        }
    }

    func injectDealHunters(_ pool: inout [Int]) {
        let cheap = items.indices.filter { items[$0].price < 25 && !items[$0].limited }
        for g in 0..<scaled(world.dealGroups) {
            let group = "dealhunt-\(g + 1)"
            let members = take(rng.int(in: world.dealMembers), pool: &pool)
            guard members.count >= 3 else { break }
            let devices = (0..<rng.int(in: 1...3)).map { _ in newDevice() }
            let cards = (0..<rng.int(in: 1...3)).map { _ in newPayment() }
            let addresses = (0..<rng.int(in: 1...2)).map { _ in newAddress() }
            let ips = (0..<rng.int(in: 1...3)).map { _ in rng.chance(0.5) ? datacenterIP() : residentialIP(members[0].country) }
            let day = rng.int(in: 0...max(0, cfg.days - 3))
            let spreadHours = rng.chance(0.7) ? rng.uniform(0.5, 6) : rng.uniform(24, 72)
            // Inside the simulated window: accounts whose whole life fell before it would leave no trace.
            let burstStart = max(start + 3_600_000, randomDayTime(day, tz: members[0].country.tzMinutes))
            let first = rng.pick(Catalog.firstNames), last = rng.pick(Catalog.lastNames)
            let domain = rng.pick(Catalog.domains)
            let style = rng.int(3)
            for (k, a) in members.enumerated() {
                mark(a, "deal_hunter", group)
                a.activity = rng.chance(0.2) ? rng.uniform(0.02, 0.1) : 0
                a.createdAt = burstStart + Int64(rng.unit() * spreadHours * 3_600_000)
                // Chains: neighbours in the cluster share some identifiers, not all share all.
                a.devices = [devices[(k / 3) % devices.count]]
                a.payments = [cards[(k / 2) % cards.count]]
                a.addresses = [addresses[k % addresses.count]]
                switch style {
                case 0: a.email = "\(first)\(last)\(rng.int(in: 100...999))@\(domain)"
                case 1: a.email = "\(first).\(last)\(k + 1)@\(domain)"
                default: a.email = "\(first)\(rng.base36(3))\(rng.int(in: 10...99))@\(rng.chance(0.8) ? domain : rng.pick(Catalog.domains))"
                }
                var out: [Event] = []
                let ip = rng.pick(ips)
                var s = base(a, "signup", a.createdAt, device: a.devices[0], ip: ip); s.country = a.country.code
                out.append(s)
                var t = a.createdAt + Int64(rng.int(in: 30_000...(rng.chance(0.7) ? 1_800_000 : 86_400_000)))
                let sess = newSession()
                let item = cheap.isEmpty ? rng.int(items.count) : rng.pick(cheap)
                for _ in 0..<rng.int(in: 0...2) {
                    var v = base(a, "view", t, device: a.devices[0], ip: ip, session: sess)
                    v.item = items[item].id; v.seller = accounts[items[item].seller].id
                    out.append(v)
                    t += Int64(rng.int(in: 5_000...60_000))
                }
                placeOrder(a, item: item, at: t, device: a.devices[0], ip: ip, session: sess, quantity: 1,
                           payment: a.payments[0], address: a.addresses[0], coupon: newUserCoupon, out: &out, reviewChance: 0.05)
                a.usedNewUserCoupon = true
                out.forEach(schedule)
            }
        }
    }

    func injectScalpers(_ pool: inout [Int]) {
        guard !drops.isEmpty else { return }
        for g in 0..<scaled(world.scalpGroups) {
            let group = "scalp-\(g + 1)"
            let bots = take(rng.int(in: world.scalpBots), pool: &pool)
            let block = rng.pick(datacenter)
            let addresses = (0..<rng.int(in: 1...3)).map { _ in newAddress() }
            let cards = (0..<rng.int(in: 2...4)).map { _ in newPayment() }
            let rotateDevices = rng.chance(0.5)
            let careful = rng.chance(0.3)        // camouflage: a view first, slower reactions
            for a in bots {
                mark(a, "scalper", group)
                a.activity = rng.uniform(0, 0.08)
                a.addresses = [rng.pick(addresses)]
                a.payments = [rng.pick(cards)]
            }
            for d in drops where rng.chance(0.75) {
                let item = items[d]
                for a in bots where rng.chance(0.9) && a.createdAt < item.dropAt {
                    var out: [Event] = []
                    let dev = rotateDevices ? newDevice() : a.devices[0]
                    let ip = block + ".\(rng.int(in: 2...250))"
                    let sess = newSession()
                    var l = base(a, "login", item.dropAt - Int64(rng.int(in: 5_000...90_000)), device: dev, ip: ip, session: sess)
                    l.status = "ok"; l.country = a.country.code
                    out.append(l)
                    var t = item.dropAt + Int64(careful ? rng.uniform(1.5, 9) * 1000 : rng.uniform(0.15, 2.5) * 1000)
                    if careful {
                        var v = base(a, "view", t - Int64(rng.int(in: 300...1500)), device: dev, ip: ip, session: sess)
                        v.item = item.id; v.seller = accounts[item.seller].id
                        out.append(v)
                    }
                    var c = base(a, "add_to_cart", t, device: dev, ip: ip, session: sess)
                    c.item = item.id; c.seller = accounts[item.seller].id; c.quantity = rng.int(in: 2...5)
                    out.append(c)
                    t += Int64(rng.int(in: 150...1200))
                    placeOrder(a, item: d, at: t, device: dev, ip: ip, session: sess, quantity: c.quantity!,
                               payment: a.payments[0], address: a.addresses[0], out: &out, honest: false)
                    out.forEach(schedule)
                }
            }
        }
    }

    func injectTakeovers(_ pool: inout [Int]) {
        let expensive = items.indices.filter { items[$0].price > 150 && !items[$0].limited }
        let victims = take(max(1, Int(Double(buyers.count) * rng.uniform(0.002, 0.004))), pool: &pool, aged: true)
        for (k, a) in victims.enumerated() {
            a.truth.fraud = true
            a.truth.attack = "ato"
            a.truth.group = "ato-\(k + 1)"
            a.activity = max(a.activity, 0.2)
            let day = rng.int(in: min(3, cfg.days - 1)...max(min(3, cfg.days - 1), cfg.days - 2))
            var dest = rng.pick(countries)
            while dest.code == a.country.code { dest = rng.pick(countries) }
            let dev = newDevice()
            let ip = rng.chance(0.5) ? datacenterIP() : residentialIP(dest)
            var t = start + Int64(day) * dayMs + Int64(rng.int(86_400)) * 1000
            var out: [Event] = []
            let fails = rng.chance(0.2) ? rng.int(in: 1...2) : rng.int(in: 3...15)
            for _ in 0..<fails {
                var l = base(a, "login", t, device: dev, ip: ip); l.status = "fail"; l.country = dest.code
                out.append(l)
                t += Int64(rng.int(in: 2_000...40_000))
            }
            var r = base(a, "password_reset", t + Int64(rng.int(in: 20_000...300_000)), device: dev, ip: ip); r.country = dest.code
            out.append(r)
            t = r.ts + Int64(rng.int(in: 30_000...600_000))
            let sess = newSession()
            var l = base(a, "login", t, device: dev, ip: ip, session: sess); l.status = "ok"; l.country = dest.code
            out.append(l)
            let addr = newAddress()
            t += Int64(rng.int(in: 60_000...1_800_000))
            var c = base(a, "address_change", t, device: dev, ip: ip, session: sess); c.address = addr
            out.append(c)
            let pay = rng.chance(0.5) ? newPayment() : a.payments[0]
            for _ in 0..<rng.int(in: 1...3) {
                t += Int64(rng.int(in: 60_000...5_400_000))
                let item = expensive.isEmpty ? rng.int(items.count) : rng.pick(expensive)
                if rng.chance(0.4) {
                    var v = base(a, "view", t - 20_000, device: dev, ip: ip, session: sess)
                    v.item = items[item].id; v.seller = accounts[items[item].seller].id
                    out.append(v)
                }
                t = placeOrder(a, item: item, at: t, device: dev, ip: ip, session: sess, quantity: rng.int(in: 1...2),
                               payment: pay, address: addr, out: &out, honest: false)
            }
            // The owner notices later: locked out, resets from their own phone.
            ownerResets(a, at: t + Int64(rng.uniform(0.3, 2) * Double(dayMs)), out: &out)
            a.busyDays.insert(day)
            out.forEach(schedule)
        }
    }

    func injectScrapers(_ pool: inout [Int]) {
        for (k, a) in take(scaled(2...6), pool: &pool).enumerated() {
            mark(a, "scraper", "scrape-\(k + 1)")
            a.activity = rng.uniform(0, 0.15)
            let profiles = rng.chance(0.6)
            let interval = rng.uniform(1.0, 6.0)
            let jitter = rng.uniform(0.03, 0.25)
            let ip = rng.chance(0.6) ? datacenterIP() : rng.pick(a.country.nat)
            let dev = rng.chance(0.5) ? newDevice() : a.devices[0]
            var cursor = rng.int(accounts.count)
            for _ in 0..<rng.int(in: 1...4) {
                let day = rng.int(cfg.days)
                let t = start + Int64(day) * dayMs + Int64(rng.int(86_400)) * 1000
                let n = Int(rng.uniform(0.5, 3) * 3600 / interval)
                let sess = newSession()
                scrapeSession(a, n: n, from: t, interval: interval, jitter: jitter, device: dev, ip: ip, session: sess,
                              cursor: &cursor) { profiles }
            }
        }
    }

    /// One scraping session: `n` requests from `t0`, each the next item or profile (stepping 1–3
    /// ahead), `interval` seconds apart with ±`jitter`; `profile()` says which for each request.
    func scrapeSession(_ a: Account, n: Int, from t0: Int64, interval: Double, jitter: Double, device: String, ip: String,
                       session: String, cursor: inout Int, profile: () -> Bool) {
        var t = t0
        var out: [Event] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            var e: Event
            if profile() {
                cursor = (cursor + 1 + rng.int(3)) % accounts.count
                e = base(a, "profile_view", t, device: device, ip: ip, session: session)
                e.target = accounts[cursor].id
            } else {
                cursor = (cursor + 1 + rng.int(3)) % items.count
                e = base(a, "view", t, device: device, ip: ip, session: session)
                e.item = items[cursor].id; e.seller = accounts[items[cursor].seller].id
            }
            out.append(e)
            t += Int64(interval * 1000 * (1 + jitter * (rng.unit() * 2 - 1)))
        }
        out.forEach(schedule)
    }

    func injectSpam(_ pool: inout [Int]) {
        for g in 0..<scaled(world.spamGroups) {
            let group = "spam-\(g + 1)"
            let domain = rng.base36(rng.int(in: 4...8)) + [".xyz", ".top", ".click", ".shop", ".link"][rng.int(5)]
            let lures = ["Congrats %N! You won a $100 voucher 🎁 claim at https://%D/%K",
                         "Hi %N, your parcel is on hold, confirm address: http://%D/%K",
                         "Earn $300/day from home!! Join us https://%D/%K",
                         "%N limited offer: 90% off iPhone today only → https://%D/%K",
                         "Your account will be suspended, verify now https://%D/%K"]
            let lure = rng.pick(lures)
            for a in take(rng.int(in: world.spamMembers), pool: &pool) {
                mark(a, "spam", group)
                a.activity = rng.uniform(0, 0.1)
                let dev = a.devices[0], ip = rng.chance(0.5) ? datacenterIP() : sessionIP(a)
                let recipients = rng.sample(buyers, rng.int(in: 40...min(300, max(40, buyers.count / 2))))
                var day = rng.int(cfg.days)
                var t = randomDayTime(day, tz: a.country.tzMinutes)
                var out: [Event] = []
                for (n, r) in recipients.enumerated() {
                    if n > 0 && rng.chance(0.01) { day = min(cfg.days - 1, day + 1); t = randomDayTime(day, tz: a.country.tzMinutes) }
                    var m = base(a, "message", t, device: dev, ip: ip)
                    m.target = accounts[r].id
                    let name = accounts[r].email.split(separator: "@")[0].split(separator: ".")[0]
                    m.text = lure.replacingOccurrences(of: "%N", with: String(name))
                        .replacingOccurrences(of: "%D", with: domain)
                        .replacingOccurrences(of: "%K", with: rng.base36(6))
                    out.append(m)
                    t += Int64(rng.lognormal(median: world.spamGapMedian, sigma: 0.8))
                }
                out.forEach(schedule)
            }
        }
    }
}
