/// PII as shown until revealed: `j***@g***.com`, `+62*******89` — the one masking rule of
/// riskdesk, wherever a value shows (account view, queue, SQL console, `riskdesk query`,
/// exports, `rejects`) and on both backends.
///
/// The rule is defined here, once, over Unicode scalars (code points, as PostgreSQL counts
/// characters), and nothing else masks:
/// - SQLite: the connection's masking views call these functions (`PIIGuard`).
/// - PostgreSQL: the server must mask (an analyst has no right to the columns), so the same
///   rule is installed as SQL functions, `PII.postgresFunctions` below (schema v8), next to
///   this code so the two are changed together; `PIIParityTests` runs every hostile value
///   and thousands of seeded random ones through both and requires identical output.
///
/// The rule:
/// - a part (the local part of an e-mail, its host, a value with no `@`): its first
///   character and `***`; `***` alone when it is empty or already starts with `*` (so a
///   masked value masks to itself);
/// - e-mail: part(local) `@` part(host) and the top-level domain when it is a dot and 1–10
///   characters, no digit or `*` (`.com`, `.中国`), else part(whole domain): a long "domain" shows nothing;
///   no `@`: part(value); empty stays empty;
/// - phone: up to 5 characters all `*`; longer: the first 3, at most 16 `*`, the last 2;
/// - free text (a rejected accounts row): every token with an `@` inside it (not first, not
///   last; tokens split at white space and `,;:"'<>[]{}()`) masked as an e-mail, then every
///   run of 7+ characters of digits, spaces, `()-.` that starts with a digit (or `+digit`)
///   and ends with a digit, masked as a phone. Ids and times in such a row are masked too:
///   better than a phone shown.
public enum PII {
    static let stars = "***"
    /// The audit's account for a reveal that covers every account (an export, `rejects`,
    /// free SQL): `*`, never NULL.
    public static let everyAccount = "*"
    static let maxStars = 16

    /// One part: first character and `***`.
    static func part(_ s: Substring.UnicodeScalarView) -> String {
        guard let f = s.first, f != "*" else { return stars }
        return String(Character(f)) + stars
    }

    public static func maskEmail(_ e: String) -> String {
        let u = e.unicodeScalars
        if u.isEmpty { return "" }
        guard let at = u.firstIndex(of: "@") else { return part(Substring(e).unicodeScalars) }
        let local = Substring(e).unicodeScalars[..<at]
        let domain = Substring(e).unicodeScalars[u.index(after: at)...]
        if let dot = domain.lastIndex(of: "."), isTLD(domain[dot...]) {
            return part(local) + "@" + part(domain[..<dot]) + String(domain[dot...])
        }
        return part(local) + "@" + part(domain)
    }

    /// `.` and 1–10 characters, none a digit or `*` (a masked host is no TLD).
    static func isTLD(_ t: Substring.UnicodeScalarView) -> Bool {
        let n = t.count
        return n >= 2 && n <= 11 && !t.dropFirst().contains { isDigit($0) || $0 == "*" }
    }

    public static func maskPhone(_ p: String) -> String {
        let u = Array(p.unicodeScalars)
        guard u.count > 5 else { return String(repeating: "*", count: u.count) }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: u[0..<3])
        s.append(contentsOf: repeatElement("*", count: min(u.count - 5, maxStars)))
        s.append(contentsOf: u[(u.count - 2)...])
        return String(s)
    }

    /// Masks any PII value by its column: e-mail or phone.
    public static func mask(column: String, _ value: String) -> String {
        column.lowercased() == "phone" ? maskPhone(value) : maskEmail(value)
    }

    /// Where e-mail tokens end: Unicode white space and `,;:"'<>[]{}()`.
    static let separators: Set<Unicode.Scalar> = Set(
        "\t\n\u{0B}\u{0C}\r ,;:\"'<>[]{}()\u{85}\u{A0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}".unicodeScalars)
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
    static func inPhoneRun(_ c: Unicode.Scalar) -> Bool { isDigit(c) || c == " " || c == "(" || c == ")" || c == "-" || c == "." }

    /// Free text that may hold contact details (a rejected accounts row): see the rule above.
    public static func maskText(_ s: String) -> String {
        // E-mails: token by token.
        let c = Array(s.unicodeScalars)
        var mid = String.UnicodeScalarView()
        var i = 0
        while i < c.count {
            if separators.contains(c[i]) { mid.append(c[i]); i += 1; continue }
            var j = i
            while j < c.count && !separators.contains(c[j]) { j += 1 }
            let tok = c[i..<j]
            if j - i >= 3, tok.dropFirst().dropLast().contains("@") {
                var t = String.UnicodeScalarView(); t.append(contentsOf: tok)
                mid.append(contentsOf: maskEmail(String(t)).unicodeScalars)
            } else {
                mid.append(contentsOf: tok)
            }
            i = j
        }
        // Phones: runs of 7+ that start and end with a digit.
        let d = Array(mid)
        var out = String.UnicodeScalarView()
        var p = 0
        while p < d.count {
            let first = d[p] == "+" && p + 1 < d.count && isDigit(d[p + 1]) ? p + 1 : (isDigit(d[p]) ? p : -1)
            if first >= 0 {
                var end = first + 1
                while end < d.count && inPhoneRun(d[end]) { end += 1 }
                var q = end - 1
                while q >= first + 6 && !isDigit(d[q]) { q -= 1 }
                if q >= first + 6 {
                    var t = String.UnicodeScalarView(); t.append(contentsOf: d[p...q])
                    out.append(contentsOf: maskPhone(String(t)).unicodeScalars)
                    p = q + 1
                    continue
                }
            }
            out.append(d[p])
            p += 1
        }
        return String(out)
    }

    /// The same rule on the server (schema v8; `team init` installs it again with the other
    /// functions). `riskdesk_utf8` decodes a rejected row's bytes as Swift does: each
    /// ill-formed sequence (its maximal subpart) becomes U+FFFD.
    public static let postgresFunctions = #"""
    CREATE OR REPLACE FUNCTION riskdesk_mask_part(x text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN x IS NULL THEN NULL WHEN x = '' OR left(x, 1) = '*' THEN '***' ELSE left(x, 1) || '***' END
    $$;
    CREATE OR REPLACE FUNCTION riskdesk_mask_domain(d text, dot integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN dot > 0 AND length(d) - dot BETWEEN 1 AND 10 AND substr(d, dot + 1) !~ '[0-9*]'
                    THEN riskdesk_mask_part(left(d, dot - 1)) || substr(d, dot)
                    ELSE riskdesk_mask_part(d) END
    $$;
    CREATE OR REPLACE FUNCTION riskdesk_mask_email(e text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN e IS NULL THEN NULL WHEN e = '' THEN ''
                    WHEN strpos(e, '@') = 0 THEN riskdesk_mask_part(e)
                    ELSE riskdesk_mask_part(left(e, strpos(e, '@') - 1)) || '@' ||
                         riskdesk_mask_domain(substr(e, strpos(e, '@') + 1),
                             CASE WHEN strpos(reverse(substr(e, strpos(e, '@') + 1)), '.') = 0 THEN 0
                                  ELSE length(substr(e, strpos(e, '@') + 1)) - strpos(reverse(substr(e, strpos(e, '@') + 1)), '.') + 1 END)
               END
    $$;
    CREATE OR REPLACE FUNCTION riskdesk_mask_phone(p text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN p IS NULL THEN NULL WHEN length(p) <= 5 THEN repeat('*', length(p))
                    ELSE left(p, 3) || repeat('*', least(length(p) - 5, 16)) || right(p, 2) END
    $$;
    CREATE OR REPLACE FUNCTION riskdesk_mask_text(s text) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        seps constant text := E'\t\n\x0b\x0c\r ,;:"''<>[]{}()' || chr(133) || chr(160) || chr(5760) || chr(8192) || chr(8193) || chr(8194)
            || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232)
            || chr(8233) || chr(8239) || chr(8287) || chr(12288);
        c text[]; n integer; i integer; j integer; q integer; f integer; mid text := ''; res text := ''; tok text;
    BEGIN
        IF s IS NULL OR s = '' THEN RETURN s; END IF;
        c := regexp_split_to_array(s, '');
        n := array_length(c, 1);
        i := 1;
        WHILE i <= n LOOP
            IF strpos(seps, c[i]) > 0 THEN mid := mid || c[i]; i := i + 1; CONTINUE; END IF;
            j := i;
            WHILE j <= n AND strpos(seps, c[j]) = 0 LOOP j := j + 1; END LOOP;
            tok := array_to_string(c[i:j - 1], '');
            IF j - i >= 3 AND strpos(substr(tok, 2, j - i - 2), '@') > 0 THEN
                mid := mid || riskdesk_mask_email(tok);
            ELSE
                mid := mid || tok;
            END IF;
            i := j;
        END LOOP;
        c := regexp_split_to_array(mid, '');
        n := array_length(c, 1);
        i := 1;
        WHILE i <= n LOOP
            f := CASE WHEN c[i] = '+' AND i < n AND strpos('0123456789', c[i + 1]) > 0 THEN i + 1
                      WHEN strpos('0123456789', c[i]) > 0 THEN i ELSE 0 END;
            IF f > 0 THEN
                j := f + 1;
                WHILE j <= n AND strpos('0123456789 ()-.', c[j]) > 0 LOOP j := j + 1; END LOOP;
                q := j - 1;
                WHILE q >= f + 6 AND strpos('0123456789', c[q]) = 0 LOOP q := q - 1; END LOOP;
                IF q >= f + 6 THEN
                    res := res || riskdesk_mask_phone(array_to_string(c[i:q], ''));
                    i := q + 1;
                    CONTINUE;
                END IF;
            END IF;
            res := res || c[i];
            i := i + 1;
        END LOOP;
        RETURN res;
    END $$;
    CREATE OR REPLACE FUNCTION riskdesk_utf8(b bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE n integer; i integer := 0; x integer; need integer; lo integer; hi integer; k integer; cp integer; res text := '';
    BEGIN
        IF b IS NULL THEN RETURN NULL; END IF;
        BEGIN
            RETURN convert_from(b, 'UTF8');
        EXCEPTION WHEN others THEN NULL;
        END;
        n := length(b);
        WHILE i < n LOOP
            x := get_byte(b, i);
            IF x < 128 THEN
                res := res || CASE WHEN x = 0 THEN chr(65533) ELSE chr(x) END; i := i + 1; CONTINUE;
            END IF;
            need := CASE WHEN x BETWEEN 194 AND 223 THEN 1 WHEN x BETWEEN 224 AND 239 THEN 2 WHEN x BETWEEN 240 AND 244 THEN 3 ELSE 0 END;
            IF need = 0 THEN res := res || chr(65533); i := i + 1; CONTINUE; END IF;
            lo := CASE x WHEN 224 THEN 160 WHEN 240 THEN 144 ELSE 128 END;
            hi := CASE x WHEN 237 THEN 159 WHEN 244 THEN 143 ELSE 191 END;
            cp := x & (CASE need WHEN 1 THEN 31 WHEN 2 THEN 15 ELSE 7 END);
            k := 1;
            WHILE k <= need LOOP
                EXIT WHEN i + k >= n;
                x := get_byte(b, i + k);
                EXIT WHEN x < lo OR x > hi;
                cp := cp * 64 + (x & 63);
                lo := 128; hi := 191;
                k := k + 1;
            END LOOP;
            IF k > need THEN res := res || chr(cp); i := i + need + 1;
            ELSE res := res || chr(65533); i := i + k;
            END IF;
        END LOOP;
        RETURN res;
    END $$;
    -- Rejected rows for everyone, as a local store's masked `rejects` shows them: an accounts
    -- row's contact details masked, other rows verbatim (as text).
    CREATE OR REPLACE VIEW rejects_masked AS
        SELECT id, run_id, source, line, kind,
               CASE WHEN kind = 'accounts' THEN riskdesk_mask_text(riskdesk_utf8(raw)) ELSE riskdesk_utf8(raw) END AS raw,
               reason, raw_hash
        FROM rejects;
    """#
}
