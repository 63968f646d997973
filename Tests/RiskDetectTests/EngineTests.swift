import Foundation
import XCTest
@testable import RiskDetect
import RiskMetrics
import RiskStore

final class RuleTests: XCTestCase {
    func testHeaderIsParsedAndBrokenHeadersNameFileAndLine() throws {
        let ok = try Rule.parse(file: "r.sql", text: """
            -- id: many_fails
            -- risk_type: ato
            -- severity: High
            -- description: Lots of failures
            -- a plain comment: fine
            SELECT account_id FROM events
            """)
        XCTAssertEqual(ok.id, "many_fails")
        XCTAssertEqual(ok.severity, "high")
        XCTAssertEqual(ok.strength, 0.5)
        XCTAssertEqual(ok.sql, "SELECT account_id FROM events")

        func fails(_ text: String, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try Rule.parse(file: "bad.sql", text: text), line: line) { e in
                XCTAssertTrue("\(e)".contains("bad.sql"), "\(e)", line: line)
                XCTAssertTrue("\(e)".contains(fragment), "\(e)", line: line)
            }
        }
        fails("-- id: x\n-- risk_type: ato\n-- description: d\nSELECT 1", "severity")
        fails("-- id: x\n-- risk_type: ato\n-- severity: extreme\n-- description: d\nSELECT 1", "extreme")
        fails("-- id: x\n-- risk_type: ato\n-- severity: low\n-- description: d\n", "no query")
        fails("-- id: x\n-- riskType: ato\n-- severity: low\n-- description: d\nSELECT 1", "bad.sql:2: unknown header key")
        fails("-- id: x y\n-- risk_type: ato\n-- severity: low\n-- description: d\nSELECT 1", "rule id")
        fails("-- id:\n-- risk_type: ato\n-- severity: low\n-- description: d\nSELECT 1", "bad.sql:1")
    }

    func testBrokenRulesAreReportedAndTheOthersStillRun() throws {
        let s = Scenario()
        s.account("a"); s.account("b")
        for k in 0..<5 { s.event("a", "login", at: Scenario.t0 + Int64(k) * 1000, ["status": "fail", "device_id": "d"]) }
        s.event("b", "login", at: Scenario.t0, ["status": "ok", "device_id": "d2"])
        let (store, _) = try s.build()
        let rules = s.dir + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        func put(_ name: String, _ text: String) { FileManager.default.createFile(atPath: rules + "/" + name, contents: Data(text.utf8)) }
        let head = "-- id: %@\n-- risk_type: ato\n-- severity: medium\n-- description: test rule\n"
        put("good.sql", String(format: head, "good") + "SELECT account_id, count(*) || ' fails' AS reason FROM events WHERE status = 'fail' GROUP BY account_id HAVING count(*) >= 3")
        put("typo.sql", String(format: head, "typo") + "SELEC account_id FROM events")
        put("nocol.sql", String(format: head, "nocol") + "SELECT 1 AS x")
        put("writes.sql", String(format: head, "writes") + "DELETE FROM events")
        put("noheader.sql", "SELECT account_id FROM accounts")
        put("notes.txt", "not a rule")
        let (loaded, errors) = Rule.load(dir: rules)
        XCTAssertEqual(loaded.map(\.id).sorted(), ["good", "nocol", "typo", "writes"])
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors[0].contains("noheader.sql"), errors[0])

        let engine = DetectionEngine(detectors: [], rulesDirectory: rules)
        let report = try engine.run(store: store)
        let byName = Dictionary(uniqueKeysWithValues: report.detectors.filter { $0.name != "rule" }.map { ($0.name, $0) })
        XCTAssertNil(byName["rule:good"]?.error)
        XCTAssertEqual(byName["rule:good"]?.accounts, 1)
        XCTAssertTrue(byName["rule:typo"]?.error?.contains("typo.sql") ?? false)
        XCTAssertTrue(byName["rule:typo"]?.error?.contains("syntax error") ?? false, byName["rule:typo"]?.error ?? "")
        XCTAssertTrue(byName["rule:nocol"]?.error?.contains("account_id") ?? false)
        XCTAssertNotNil(byName["rule:writes"]?.error, "rules run read-only")
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM events"), 6, "nothing deleted")
        XCTAssertEqual(try store.db.scalar("SELECT reason FROM findings WHERE account_id = 'a'").string, "test rule: 5 fails")
    }

    /// A rule's optional `group` column: hits with one value are one group (so propagation
    /// carries the group's evidence to its thin members); ids are short and numbered, never
    /// the value itself (a seller and a review text); a rule without the column gives no group.
    func testARuleGroupColumnMakesNumberedGroupsAndNoColumnMakesNone() throws {
        let s = Scenario()
        for a in ["a", "b", "c", "d", "e"] { s.account(a) }
        for (a, text) in [("a", "great seller / wow"), ("b", "great seller / wow"), ("c", "fast"), ("d", "fast"), ("e", "")] {
            s.event(a, "review", at: Scenario.t0, ["text": text, "rating": "5", "seller_id": "s1", "device_id": "d-" + a])
        }
        let (store, _) = try s.build()
        let rules = s.dir + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        let head = "-- id: %@\n-- risk_type: brushing\n-- severity: low\n-- description: test rule\n"
        FileManager.default.createFile(atPath: rules + "/grouped.sql", contents: Data((String(format: head, "grouped")
            + "SELECT account_id, 's1 / ' || text AS \"group\" FROM events WHERE type = 'review'").utf8))
        FileManager.default.createFile(atPath: rules + "/plain.sql", contents: Data((String(format: head, "plain")
            + "SELECT account_id FROM events WHERE type = 'review'").utf8))
        let ev = try DetectionEngine(detectors: [], rulesDirectory: rules).evaluate(store: store)
        func group(_ rule: String, _ account: String) -> String?? {
            ev.findings.first { $0.detector == "rule:" + rule && ev.table.accountID($0.account) == account }.map(\.group)
        }
        let a = group("grouped", "a"), b = group("grouped", "b"), c = group("grouped", "c"), d = group("grouped", "d"), e = group("grouped", "e")
        XCTAssertNotNil(a ?? nil); XCTAssertNotNil(c ?? nil)
        XCTAssertEqual(a, b, "one text, one group"); XCTAssertEqual(c, d)
        XCTAssertNotEqual(a, c, "two texts, two groups")
        XCTAssertNotEqual(e ?? nil, a ?? nil)
        for g in [a, c, e].compactMap({ $0 ?? nil }) {
            XCTAssertTrue(g.hasPrefix("rule") && g.count <= 12 && !g.contains("great") && !g.contains("fast"), g)
        }
        for x in ["a", "b", "c", "d", "e"] { XCTAssertEqual(group("plain", x), .some(nil), "no group column, no group (\(x))") }
    }
}

final class EngineTests: XCTestCase {
    func testEachOffSignIsOffByDefaultAndSwitchesOnByItsNameOnly() throws {
        func flags(_ e: DetectionEngine) -> [String: Bool] {
            var f: [String: Bool] = [:]
            for d in e.detectors {
                if let s = d as? ScalperDetector { f["graded-tails"] = s.gradedSigns }
                if let s = d as? IdentityDetector { f["referral-codes"] = s.ringReferralCodes }
                if let s = d as? RefundAbuseDetector { f["refund-fdr"] = s.unitFDR; f["returner-spread"] = s.returnerSpread }
                if let s = d as? ClickFarmDetector { f["room-timetable"] = s.roomTimetable; f["timetable-strength"] = s.timetableStrength }
            }
            return f
        }
        XCTAssertEqual(flags(DetectionEngine()), Dictionary(uniqueKeysWithValues: DetectionEngine.offSigns.map { ($0, false) }))
        // Room crews are on by default since farm41 (no longer a sign to switch on).
        XCTAssertTrue(DetectionEngine().detectors.compactMap { $0 as? ClickFarmDetector }.allSatisfy(\.roomCrews))
        XCTAssertThrowsError(try DetectionEngine().enableSigns(["room-crews"]))
        for sign in DetectionEngine.offSigns {
            let e = DetectionEngine()
            try e.enableSigns([sign])
            XCTAssertEqual(flags(e).filter(\.value).map(\.key), [sign], sign)
            // returner-spread is the detector's and the anomaly layer's (RefundClaims) at once.
            XCTAssertEqual(e.layers.returnerSpread, sign == "returner-spread", sign)
            XCTAssertEqual(e.detectors.count, DetectionEngine.standardDetectors().count)
        }
        let e = DetectionEngine()
        XCTAssertThrowsError(try e.enableSigns(["refund-fdr", "lone-claimant"])) { XCTAssertTrue("\($0)".contains("no sign named 'lone-claimant'")) }
        // Lone claimants (lone59) are on by default: no longer a sign to switch on.
        XCTAssertThrowsError(try e.enableSigns(["lone-claimants"])) { XCTAssertTrue("\($0)".contains("no sign named 'lone-claimants'")) }
        // Sleepers (ato41) are on by default: no longer a sign to switch on, and on in the standard engine.
        XCTAssertThrowsError(try e.enableSigns(["sleepers"])) { XCTAssertTrue("\($0)".contains("no sign named 'sleepers'")) }
        XCTAssertTrue(DetectionEngine().detectors.contains { ($0 as? TakeoverDetector)?.sleepers == true })
        XCTAssertEqual(flags(e).filter(\.value).count, 0, "a bad name switches nothing on")
    }

    /// review41a #8: a sign on by default switches off by name (`detect --no-sign`); unknown names, and
    /// signs that are off by default, are refused before anything changes.
    func testEachOnSignIsOnByDefaultAndSwitchesOffByItsNameOnly() throws {
        func flags(_ e: DetectionEngine) -> [String: Bool] {
            var f: [String: Bool] = [:]
            for d in e.detectors {
                if let s = d as? TakeoverDetector { f["sleepers"] = s.sleepers; f["owner-networks"] = s.ownerNetworks; f["spread-waves"] = s.spreadWaves; f["entry-devices"] = s.entryDevices; f["used-hands"] = s.usedHands; f["entry-victims"] = s.entryVictims; f["novel-orders"] = s.novelBesideOrders; f["sitting-strays"] = s.sittingStrays }
                if let s = d as? ClickFarmDetector { f["room-crews"] = s.roomCrews; f["shop-crews"] = s.shopCrews; f["own-activity"] = s.ownActivity; f["day-cohorts"] = s.dayCohorts; f["job-odds"] = s.jobOdds; f["tight-windows"] = s.tightWindows; f["shopper-groups"] = s.shopperGroups; f["away-pairs"] = s.awayPairs; f["follow-crews"] = s.followCrews }
                if let s = d as? BrushingDetector { f["order-rings"] = s.orderRings }
                if let s = d as? ScrapingDetector { f["coarse-clocks"] = s.coarseClocks; f["rewalk-people"] = s.rewalkAgainstPeople }
                if let s = d as? IdentityDetector { f["place-codes"] = s.ringPlaceCodes; f["households"] = s.ringHouseholds; f["code-lives"] = s.ringCodeLives; f["mailbox-spellings"] = s.ringMailboxSpellings }
                if let s = d as? ScalperDetector { f["habits"] = s.habits; f["pace"] = s.pace; f["customer-pace"] = s.customerPace; f["drops-abroad"] = s.dropsAbroad }
                if let s = d as? RefundAbuseDetector { f["lone-claimants"] = s.loneClaimants; f["claim-scripts"] = s.claimScripts }
            }
            f["owned-ips"] = e.layers.ownedIPs; f["own-logins"] = e.layers.ownLogins; f["scalper-leads"] = e.layers.scalperLeads; f["busy-pace"] = e.layers.busyPace; f["tenth-spread"] = e.layers.tenthSpread; f["abroad"] = e.layers.abroad; f["card-strangers"] = e.layers.cardStrangers; f["mailbox-sharers"] = e.layers.mailboxSharers; f["audience-company"] = e.layers.audienceCompany; f["page-returns"] = e.layers.pageReturns; f["repeat-follows"] = e.layers.repeatFollows; f["lone-outliers"] = e.layers.loneOutliers
            return f
        }
        XCTAssertEqual(DetectionEngine.onSigns, ["sleepers", "room-crews", "place-codes", "habits", "pace", "owner-networks", "shop-crews", "households", "code-lives", "spread-waves", "entry-devices", "own-activity", "day-cohorts", "job-odds", "used-hands", "owned-ips", "own-logins", "mailbox-spellings", "entry-victims", "scalper-leads", "busy-pace", "abroad", "card-strangers", "mailbox-sharers", "audience-company", "page-returns", "lone-claimants", "novel-orders", "claim-scripts", "customer-pace", "sitting-strays", "coarse-clocks", "drops-abroad", "lone-outliers", "rewalk-people", "tenth-spread", "tight-windows", "order-rings", "shopper-groups", "repeat-follows", "away-pairs", "follow-crews"])
        XCTAssertEqual(flags(DetectionEngine()), ["sleepers": true, "room-crews": true, "place-codes": true, "habits": true, "pace": true, "owner-networks": true, "shop-crews": true, "households": true, "code-lives": true, "spread-waves": true, "entry-devices": true, "own-activity": true, "day-cohorts": true, "job-odds": true, "used-hands": true, "owned-ips": true, "own-logins": true, "mailbox-spellings": true, "entry-victims": true, "scalper-leads": true, "busy-pace": true, "abroad": true, "card-strangers": true, "mailbox-sharers": true, "audience-company": true, "page-returns": true, "lone-claimants": true, "novel-orders": true, "claim-scripts": true, "customer-pace": true, "sitting-strays": true, "coarse-clocks": true, "drops-abroad": true, "lone-outliers": true, "rewalk-people": true, "tenth-spread": true, "tight-windows": true, "order-rings": true, "shopper-groups": true, "repeat-follows": true, "away-pairs": true, "follow-crews": true])
        for sign in DetectionEngine.onSigns {
            let e = DetectionEngine()
            try e.disableSigns([sign])
            XCTAssertEqual(flags(e).filter { !$0.value }.map(\.key), [sign], sign)
            XCTAssertEqual(e.detectors.count, DetectionEngine.standardDetectors().count)
        }
        for bad in [["sleeper"], ["sleepers", "room-crew"], ["graded-tails"]] {
            let e = DetectionEngine()
            XCTAssertThrowsError(try e.disableSigns(bad)) { XCTAssertTrue("\($0)".contains("no sign on by default named") && "\($0)".contains("sleepers, room-crews"), "\($0)") }
            XCTAssertEqual(flags(e), ["sleepers": true, "room-crews": true, "place-codes": true, "habits": true, "pace": true, "owner-networks": true, "shop-crews": true, "households": true, "code-lives": true, "spread-waves": true, "entry-devices": true, "own-activity": true, "day-cohorts": true, "job-odds": true, "used-hands": true, "owned-ips": true, "own-logins": true, "mailbox-spellings": true, "entry-victims": true, "scalper-leads": true, "busy-pace": true, "abroad": true, "card-strangers": true, "mailbox-sharers": true, "audience-company": true, "page-returns": true, "lone-claimants": true, "novel-orders": true, "claim-scripts": true, "customer-pace": true, "sitting-strays": true, "coarse-clocks": true, "drops-abroad": true, "lone-outliers": true, "rewalk-people": true, "tenth-spread": true, "tight-windows": true, "order-rings": true, "shopper-groups": true, "repeat-follows": true, "away-pairs": true, "follow-crews": true], "a bad name switches nothing off: \(bad)")
        }
        XCTAssertTrue(Set(DetectionEngine.onSigns).isDisjoint(with: DetectionEngine.offSigns))
    }

    func testTheFlagVolumeBaselineIsTheRecentRunsMedianSoOneOddRunDoesNotSetIt() {
        XCTAssertNil(DetectionEngine.volumeBaseline([]))
        XCTAssertEqual(DetectionEngine.volumeBaseline([40]), 40)
        // One run that flagged 900 (a model since replaced) among runs that flagged ~10.
        XCTAssertEqual(DetectionEngine.volumeBaseline([11, 900, 12, 10, 9]), 11)
        XCTAssertEqual(DetectionEngine.volumeBaseline([900, 10]), 455)
        XCTAssertEqual(DetectionEngine.volumeBaseline([12, 900, 10, 11]), 11.5)
    }

    func testNoisyOrCombinesDetectorsAndKeepsTheStrongestPerDetector() {
        let f = [
            Finding(account: 0, detector: "x", riskType: .spam, strength: 0.5, reason: "x1"),
            Finding(account: 0, detector: "x", riskType: .spam, strength: 0.3, reason: "x2"),
            Finding(account: 0, detector: "y", riskType: .ato, strength: 0.6, reason: "y", group: "g1"),
            Finding(account: 2, detector: "y", riskType: .ato, strength: 0.2, reason: "weak"),
        ]
        let s = DetectionEngine.combine(f, accounts: 3)
        XCTAssertEqual(s[0].score, 1 - 0.5 * 0.4, accuracy: 1e-9)
        XCTAssertEqual(s[0].riskType, "ato")
        XCTAssertEqual(s[0].group, "g1")
        XCTAssertEqual(s[0].reasons, ["y", "x1"])
        XCTAssertEqual(s[1].score, 0)
        XCTAssertNil(s[1].riskType)
        XCTAssertEqual(s[2].score, 0.2, accuracy: 1e-9)
    }

    func testRunWritesEveryAccountReplacesFindingsKeepsHistoryAndCancelKeepsTheLastResults() throws {
        let s = Scenario()
        s.account("bot")
        for k in 0..<120 { s.account("u\(k)") }
        var at = Scenario.t0
        for k in 0..<120 { s.event("bot", "profile_view", at: at, ["target_id": "u\(k)"]); at += 3000 }
        for k in 0..<120 { s.event("u\(k)", "view", at: Scenario.t0 + Int64(k) * 99_000, ["item_id": "i"]) }
        let (store, _) = try s.build()
        let engine = DetectionEngine(rulesDirectory: nil)
        var stages: [String] = []
        let r1 = try engine.run(store: store) { stage, _ in stages.append(stage) }
        XCTAssertTrue(stages.contains("scraping") && stages.last == "done", "\(stages)")
        XCTAssertEqual(r1.flagged, 1)
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM scores"), try store.db.int("SELECT count(*) FROM accounts"))
        XCTAssertEqual(try store.db.scalar("SELECT account_id FROM scores ORDER BY score DESC LIMIT 1").string, "bot")
        XCTAssertEqual(try store.db.scalar("SELECT risk_type FROM scores WHERE account_id = 'bot'").string, "scraping")
        let evidence = try XCTUnwrap(try store.db.scalar("SELECT evidence FROM findings WHERE account_id = 'bot'").string)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evidence.utf8)) as? [String: Any])
        // The evidence is a sample of the run: its first 50 profile views, in order.
        let firstViews = try store.db.rows("SELECT id FROM events WHERE account_id = 'bot' ORDER BY ts LIMIT 50").compactMap { $0[0].int }
        XCTAssertEqual(firstViews.count, 50)
        XCTAssertEqual((json["events"] as? [NSNumber])?.map(\.int64Value), firstViews)

        _ = try engine.run(store: store)
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM findings"), 1, "a re-run replaces findings")
        XCTAssertEqual(try store.db.int("SELECT count(DISTINCT run_id) FROM findings"), 1)
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM detect_runs WHERE status = 'done'"), 2)

        let detectors = try store.db.scalar("SELECT detectors FROM detect_runs ORDER BY id DESC LIMIT 1").string!
        XCTAssertTrue(detectors.contains("\"name\":\"brushing\"") && detectors.contains("\"seconds\""))

        // An analyst's legit label sinks the account on the next run; the finding stays.
        try store.addLabels([LabelInput(account: "bot", label: .legit, note: "our own QA crawler")], analyst: "ana", source: "cli")
        _ = try engine.run(store: store)
        XCTAssertLessThan(try store.db.scalar("SELECT score FROM scores WHERE account_id = 'bot'").double!, 0.1)
        XCTAssertTrue(try store.db.scalar("SELECT reasons FROM scores WHERE account_id = 'bot'").string!.hasPrefix("labelled legit by ana"))
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM findings WHERE account_id = 'bot'"), 1)

        let cancel = CancelToken()
        cancel.cancel()
        XCTAssertThrowsError(try engine.run(store: store, cancel: cancel)) { XCTAssertTrue($0 is CancelledError) }
        XCTAssertEqual(try store.db.scalar("SELECT status FROM detect_runs ORDER BY id DESC LIMIT 1").string, "cancelled")
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM findings"), 1, "the last results stay")
    }

    func testAFailingDetectorIsReportedAndTheOthersStillScore() throws {
        struct Broken: Detector {
            let name = "broken"
            func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding] { throw StoreError("boom") }
        }
        let s = Scenario()
        s.account("a")
        s.event("a", "view", at: Scenario.t0, ["item_id": "i"])
        let (store, _) = try s.build()
        let r = try DetectionEngine(detectors: [Broken(), ScrapingDetector()], rulesDirectory: nil).run(store: store)
        XCTAssertEqual(r.detectors.first { $0.name == "broken" }?.error, "boom")
        XCTAssertNil(r.detectors.first { $0.name == "scraping" }?.error)
        XCTAssertEqual(try store.db.int("SELECT count(*) FROM scores"), 1)
    }
}

final class RankingTests: XCTestCase {
    // Values worked by hand (and as scikit-learn's roc_auc_score / average_precision_score give them).
    func testAUCWithTies() {
        // positives 0.9, 0.5; negatives 0.5, 0.1: pairs (0.9>0.5),(0.9>0.1),(0.5=0.5 → ½),(0.5>0.1) = 3.5/4
        XCTAssertEqual(Ranking.auc(scores: [0.9, 0.5, 0.5, 0.1], labels: [true, true, false, false])!, 0.875, accuracy: 1e-12)
        XCTAssertEqual(Ranking.auc(scores: [0.1, 0.2, 0.3], labels: [true, false, false])!, 0, accuracy: 1e-12)
        XCTAssertEqual(Ranking.auc(scores: [0, 0, 0, 0], labels: [true, false, true, false])!, 0.5, accuracy: 1e-12)
        XCTAssertNil(Ranking.auc(scores: [1, 2], labels: [true, true]))
    }

    func testAveragePrecision() {
        // ranks: 0.9 P, 0.8 N, 0.7 P, 0.1 N → AP = ½·1 + ½·(2/3) = 0.8333…
        XCTAssertEqual(Ranking.averagePrecision(scores: [0.9, 0.8, 0.7, 0.1], labels: [true, false, true, false])!, 5.0 / 6, accuracy: 1e-12)
        // a tie between a positive and a negative at the top counts as one threshold: P = ½
        XCTAssertEqual(Ranking.averagePrecision(scores: [0.5, 0.5], labels: [true, false])!, 0.5, accuracy: 1e-12)
    }

    func testTopK() {
        let s = [0.2, 0.9, 0.9, 0.1, 0.5]
        let l = [false, true, false, false, true]
        XCTAssertEqual(Ranking.topK(scores: s, k: 3), [1, 2, 4])
        XCTAssertEqual(Ranking.precisionAtK(scores: s, labels: l, k: 2)!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(Ranking.recallAtK(scores: s, labels: l, k: 3)!, 1, accuracy: 1e-12)
    }
}

final class ClassificationMetricTests: XCTestCase {
    // Hand-computed (and as scikit-learn / numpy give them).
    func testConfusionAndItsRatios() {
        let c = Confusion(predicted: [true, true, false, false, true], actual: [true, false, false, true, true])
        XCTAssertEqual(c, Confusion(tp: 2, fp: 1, tn: 1, fn: 1))
        XCTAssertEqual(c.precision!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(c.recall!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(c.f1!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(c.accuracy!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(c.falsePositiveRate!, 0.5, accuracy: 1e-12)
        XCTAssertNil(Confusion(tp: 0, fp: 0, tn: 3, fn: 0).precision, "nothing flagged: precision undefined")
        XCTAssertNil(Confusion(tp: 0, fp: 2, tn: 3, fn: 0).f1)
    }

    func testCohensKappa() {
        // 4 of 6 agree; each rater says y half the time: p_e = 0.5, kappa = (2/3 − 1/2) / (1/2) = 1/3.
        XCTAssertEqual(Agreement.cohensKappa(["y", "y", "n", "n", "y", "n"], ["y", "n", "n", "n", "y", "y"])!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(Agreement.cohensKappa(["a", "b", "c"], ["a", "b", "c"])!, 1, accuracy: 1e-12)
        XCTAssertEqual(Agreement.cohensKappa(["y", "n"], ["n", "y"])!, -1, accuracy: 1e-12)
        XCTAssertNil(Agreement.cohensKappa(["y", "y"], ["y", "y"]), "chance agreement is total")
        XCTAssertNil(Agreement.cohensKappa([], []))
    }

    func testPercentileInterpolatesLikeNumpy() {
        XCTAssertEqual(Distribution.percentile([4, 1, 3, 2], 50)!, 2.5, accuracy: 1e-12)
        XCTAssertEqual(Distribution.percentile([1, 2, 3, 4], 90)!, 3.7, accuracy: 1e-12)
        XCTAssertEqual(Distribution.percentile([7], 99)!, 7)
        XCTAssertNil(Distribution.percentile([], 50))
    }

    func testPopulationStabilityIndex() {
        let ref = (0..<100).map(Double.init)
        XCTAssertEqual(Distribution.psi(expected: ref, actual: ref)!, 0, accuracy: 1e-12)
        // Two bins cut at 49.5: shares 0.5 / 0.5 against 0.75 / 0.25.
        let shifted = (0..<75).map { Double($0 % 50) } + (0..<25).map { 50 + Double($0) }
        let expected = 0.25 * log(1.5) + (-0.25) * log(0.5)
        XCTAssertEqual(Distribution.psi(expected: ref, actual: shifted, bins: 2)!, expected, accuracy: 1e-12)
        XCTAssertGreaterThan(Distribution.psi(expected: ref, actual: ref.map { $0 + 40 })!, 0.25, "a big shift")
        XCTAssertNil(Distribution.psi(expected: [], actual: ref))
    }
}

/// "Flagged" (try21, item 4): one definition — the latest run's score ≥ 0.5 — for `detect`'s
/// count (and `detect_runs.flagged`), the queue's flagged view and the dashboard, on a store
/// where counting findings would give another answer (a weak rule's hit scores 0.2).
final class FlaggedDefinitionTests: XCTestCase {
    func testDetectQueueAndDashboardCountTheSameFlaggedAccounts() throws {
        let s = Scenario()
        // A hundred accounts: a rule hitting 2 % of the store is not discounted as too common.
        let names = ["weak", "strong", "both"] + (0..<97).map { "plain\($0)" }
        for a in names { s.account(a) }
        for (k, a) in names.enumerated() {
            s.event(a, "login", at: Scenario.t0 + Int64(k) * 1000, ["status": "ok", "device_id": "d\(k)"])
        }
        let (store, _) = try s.build()
        let rules = s.dir + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        func put(_ id: String, _ severity: String, _ accounts: [String]) {
            let sql = accounts.map { "SELECT '\($0)' AS account_id" }.joined(separator: " UNION ALL ")
            FileManager.default.createFile(atPath: rules + "/\(id).sql", contents: Data("""
                -- id: \(id)
                -- risk_type: scraping
                -- severity: \(severity)
                -- description: \(id) rule
                \(sql)
                """.utf8))
        }
        put("weak_hint", "low", ["weak", "both"])          // strength 0.2: a finding, not a flag
        put("strong_hint", "critical", ["strong", "both"])  // 0.7: flagged
        let report = try DetectionEngine(detectors: [], rulesDirectory: rules).run(store: store)

        let db = store.db
        XCTAssertGreaterThan(try db.int("SELECT count(*) FROM scores WHERE n_findings > 0 AND score < 0.5"), 0,
                             "the store must hold a finding below the flag, or the test tests nothing")
        let byScore = Set(try db.rows("SELECT account_id FROM scores WHERE score >= 0.5").compactMap { $0[0].string })
        XCTAssertTrue(byScore.isSuperset(of: ["strong", "both"]) && !byScore.contains("weak"), "\(byScore)")
        let n = byScore.count
        XCTAssertEqual(report.flagged, n)
        XCTAssertEqual(report.riskTypes.values.reduce(0, +), n, "the breakdown by risk type adds up to the flagged count")
        XCTAssertEqual(try db.int("SELECT flagged FROM detect_runs WHERE id = ?", [.int(report.runID)]), Int64(n))
        var q = QueueQuery()
        q.flaggedOnly = true
        let queue = try db.queuePage(q, direction: .first, anchor: nil, limit: 100).map(\.account)
        XCTAssertEqual(Set(queue), byScore)
        XCTAssertEqual(try StoreMetrics.queue(db, now: Scenario.t0).flagged, n)
        XCTAssertEqual(try StoreMetrics.alertsPerRun(db).last?.byType["flagged"], Double(n))
    }
}
