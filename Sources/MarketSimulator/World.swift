import Foundation

/// Ground truth for one account.
struct Truth {
    var fraud = false
    var attack = ""
    var group = ""
    var lookalikes: [String] = []
    mutating func tag(_ t: String) { if !lookalikes.contains(t) { lookalikes.append(t) } }
}

final class Account {
    let id: String
    var kind: String
    let country: Country
    var createdAt: Int64
    var email: String
    let phone: String
    var devices: [String]
    var homeIP: String
    let mobile: Bool           // sessions mostly behind the carrier's NAT
    var vpn = false            // a legit user on a datacenter VPN
    var payments: [String]
    var addresses: [String]
    var activity: Double       // mean sessions per day
    var favourites: [Int]      // favourite category indexes
    var follows: [Int] = []    // creator account indexes
    var usedNewUserCoupon = false
    var truth = Truth()
    /// Days on which normal activity is replaced by a scripted episode.
    var busyDays = Set<Int>()
    /// Taken over by an attack script: no ordinary signup flow, little camouflage browsing.
    var scripted = false
    var dormantAfter: Int64 = .max   // an account that stops browsing after this time
    var travel: (from: Int, to: Int, country: Country, newDevice: String?)?
    /// Random worlds: a shared office IP used for some sessions, and review habits.
    var officeIP: String?
    var reviewRate: Double?
    var shortReviewer = false
    let index: Int

    init(index: Int, id: String, kind: String, country: Country, createdAt: Int64, email: String, phone: String,
         devices: [String], homeIP: String, mobile: Bool, payments: [String], addresses: [String],
         activity: Double, favourites: [Int]) {
        self.index = index; self.id = id; self.kind = kind; self.country = country; self.createdAt = createdAt
        self.email = email; self.phone = phone; self.devices = devices; self.homeIP = homeIP; self.mobile = mobile
        self.payments = payments; self.addresses = addresses; self.activity = activity; self.favourites = favourites
    }
}

struct Country {
    let code: String
    let tzMinutes: Int
    let weight: Double
    let phonePrefix: String
    var residential: [String] = []   // /16 prefixes
    var nat: [String] = []           // carrier-grade NAT addresses
}

struct Item {
    let id: String
    let seller: Int
    let title: String
    let category: Int
    let price: Double
    var limited = false
    var dropAt: Int64 = 0
    var stock = 0
}

struct Show {
    let creator: Int
    let start: Int64
    let minutes: Int
    let mega: Bool
}

enum Catalog {
    static let categories: [(name: String, lo: Double, hi: Double, nouns: [String])] = [
        ("electronics", 15, 900, ["Wireless Earbuds", "Phone Case", "Power Bank", "Smart Watch", "Bluetooth Speaker", "USB-C Cable", "Gaming Mouse", "Mechanical Keyboard", "Tablet", "Action Camera", "Laptop Stand", "Drone"]),
        ("fashion", 5, 120, ["Oversized Tee", "Denim Jacket", "Silk Scarf", "Running Shorts", "Linen Shirt", "Bucket Hat", "Cargo Pants", "Hoodie", "Maxi Dress"]),
        ("beauty", 3, 60, ["Lip Tint", "Sunscreen SPF50", "Serum", "Face Mask Set", "Hair Oil", "Eyeliner", "Cushion Foundation", "Perfume"]),
        ("home", 4, 200, ["Storage Box", "LED Lamp", "Throw Pillow", "Air Fryer", "Rice Cooker", "Bamboo Towel", "Wall Clock", "Desk Organizer"]),
        ("toys", 4, 90, ["Building Blocks", "Plush Bear", "Puzzle 1000pc", "RC Car", "Card Game", "Fidget Set"]),
        ("sports", 8, 250, ["Yoga Mat", "Dumbbell Pair", "Cycling Gloves", "Badminton Racket", "Water Bottle", "Jump Rope"]),
        ("collectibles", 60, 450, ["Limited Sneakers", "Art Toy Figure", "Signed Jersey", "Trading Card Box", "Designer Bag"]),
    ]
    static let adjectives = ["Classic", "Pro", "Mini", "Ultra", "Eco", "Premium", "Basic", "Lite", "Max", "Vintage", "Neo", "Soft"]
    static let colours = ["Black", "White", "Navy", "Sage", "Pink", "Beige", "Red", "Grey", "Lavender", "Olive"]

    static let firstNames = ["anna", "budi", "chen", "dewi", "eko", "fatima", "gita", "hana", "ivan", "joko", "kiki", "linh", "maria", "nam", "omar", "putri", "quang", "rina", "siti", "tuan", "umar", "vina", "wei", "xin", "yuki", "zara", "arif", "bao", "citra", "duc", "elena", "farid", "hoa", "indra", "jasmine", "kevin", "lily", "minh", "nadia", "oscar", "pham", "rizal", "sari", "thu", "vivi", "yusuf"]
    static let lastNames = ["santos", "nguyen", "tan", "lim", "wijaya", "tran", "reyes", "cruz", "lee", "wong", "pratama", "le", "garcia", "smith", "ong", "hassan", "kumar", "sato", "park", "chua"]
    static let domains = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "mail.com", "proton.me", "zoho.com"]

    static let reviewOpen = ["", "Honestly ", "Well, ", "Ok so ", "Update: ", "", "", "Hmm, ", "Wow, "]
    static let reviewGood = ["the quality is better than I expected", "fits perfectly", "my daughter loves it", "works as described", "arrived in 3 days, nicely packed", "colour is exactly like the photos", "battery lasts all day", "great value for the price", "second time buying this", "the seller answered all my questions", "fabric is soft, a bit thin though", "smells amazing"]
    static let reviewBad = ["stopped working after a week", "size runs small, order one up", "not the colour in the picture", "box was crushed", "took 3 weeks to arrive", "feels cheap", "missing the charger", "seller never replied"]
    static let reviewClose = ["", ".", "!", " 👍", " 😊", " would buy again.", " — 4/5 only because of shipping.", " 10/10", " 非常好", " ดีมาก", " 💯", " \"as advertised\", really", ", recommended"]

    static let questions = ["Hi, is this still available?", "Do you ship to %C?", "What size should I get, I'm 165cm", "Can you send it today?", "Is the warranty international?", "Hello, does it come with a box?", "Any discount for 2 pcs?"]
}
