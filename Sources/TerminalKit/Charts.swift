import Foundation

/// Text charts drawn into a Buffer. Each degrades to ASCII when the locale isn't UTF-8 and
/// lays out within the area it is given, however narrow.
public enum Charts {
    static let eighths: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// A bar of `value / maxValue` of `width` cells at eighth-of-a-cell resolution.
    public static func bar(_ value: Double, max maxValue: Double, width: Int) -> String {
        guard width > 0, maxValue > 0, value > 0 else { return "" }
        let eighthsTotal = Int((min(value, maxValue) / maxValue * Double(width * 8)).rounded())
        if !TextWidth.isUTF8 { return String(repeating: "#", count: (eighthsTotal + 4) / 8) }
        let full = eighthsTotal / 8, part = eighthsTotal % 8
        return String(repeating: "█", count: full) + eighths[part]
    }

    /// Horizontal bars: label, bar, value — one row each, the label column as wide as needed.
    public static func horizontalBars(_ items: [(label: String, value: Double)], into buf: Buffer, area: Rect,
                                      style: Style, barStyle: Style, format: (Double) -> String = { Human.count($0) }) {
        guard area.width > 4, area.height > 0 else { return }
        let labelW = min(max(1, items.map { TextWidth.of($0.label) }.max() ?? 1), max(1, area.width / 3))
        let valueW = min(8, (items.map { TextWidth.of(format($0.value)) }.max() ?? 1))
        let barW = max(1, area.width - labelW - valueW - 2)
        let maxV = items.map(\.value).max() ?? 0
        for (i, it) in items.prefix(area.height).enumerated() {
            let y = area.y + i
            buf.write(TextWidth.pad(TextWidth.truncate(it.label, to: labelW), to: labelW), x: area.x, y: y, style: style)
            buf.write(bar(it.value, max: maxV, width: barW), x: area.x + labelW + 1, y: y, style: barStyle, maxWidth: barW)
            buf.writeRight(format(it.value), x: area.x, y: y, width: area.width, style: style)
        }
    }

    static let vEighths: [String] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// Vertical bars, one column of width `barWidth` each, bottom-aligned in `area`, eighth-of-a-cell
    /// resolution in height; labels (first characters) under the bars when there is a row for them.
    public static func verticalBars(_ items: [(label: String, value: Double)], into buf: Buffer, area: Rect,
                                    style: Style, barStyle: Style, barWidth: Int = 2) {
        guard area.width > 0, area.height > 1 else { return }
        let h = area.height - 1
        let maxV = items.map(\.value).max() ?? 0
        let step = barWidth + 1
        for (i, it) in items.prefix(max(0, area.width / step)).enumerated() {
            let x = area.x + i * step
            let total = maxV > 0 ? Int((max(0, it.value) / maxV * Double(h * 8)).rounded()) : 0
            for row in 0..<h {
                let fromBottom = h - 1 - row
                let e = min(8, max(0, total - fromBottom * 8))
                let ch = TextWidth.isUTF8 ? vEighths[e] : (e >= 4 ? "#" : " ")
                buf.write(String(repeating: ch, count: barWidth), x: x, y: area.y + row, style: barStyle)
            }
            buf.write(TextWidth.truncate(it.label, to: barWidth + 1), x: x, y: area.y + h, style: style, maxWidth: step)
        }
    }

    /// One stacked bar of `width` cells: each part a run of its own style, proportional to
    /// its value (a part too small for a cell still gets one if it is not zero and there is room).
    public static func stackedBar(_ parts: [(value: Double, style: Style)], total: Double? = nil, width: Int,
                                  into buf: Buffer, x: Int, y: Int) {
        let sum = total ?? parts.reduce(0) { $0 + max(0, $1.value) }
        guard width > 0, sum > 0 else { return }
        var cx = x
        var used = 0.0
        for p in parts where p.value > 0 {
            used += p.value
            let end = x + Int((used / sum * Double(width)).rounded())
            let n = max(end - cx, cx < x + width ? 1 : 0)
            buf.write(String(repeating: TextWidth.isUTF8 ? "█" : "#", count: n), x: cx, y: y, style: p.style, maxWidth: x + width - cx)
            cx += n
        }
    }

    /// Counts of `values` in `bins` equal-width bins over [lo, hi] (values outside are clamped).
    public static func histogram(_ values: [Double], bins: Int, lo: Double, hi: Double) -> [Int] {
        guard bins > 0 else { return [] }
        var out = [Int](repeating: 0, count: bins)
        guard hi > lo else { out[0] = values.count; return out }
        for v in values {
            let i = Int(((v - lo) / (hi - lo) * Double(bins)).rounded(.down))
            out[min(bins - 1, max(0, i))] += 1
        }
        return out
    }

    /// A gauge: `[████▌     ] 45%`.
    public static func gauge(_ fraction: Double, width: Int) -> String {
        let f = min(1, max(0, fraction))
        let pct = String(format: " %3.0f%%", f * 100)
        let inner = max(1, width - 2 - pct.count)
        let b = bar(f, max: 1, width: inner)
        return "[" + TextWidth.pad(b, to: inner) + "]" + pct
    }

    /// Tick values for an axis from `lo` to `hi`: about `count` round numbers (1, 2, 5 × 10^k).
    public static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, count > 1 else { return [lo] }
        let raw = (hi - lo) / Double(count - 1)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(t); t += step }
        return out
    }
}

/// A canvas of braille dots: each cell holds 2 × 4 dots (ASCII: one `*` a cell).
public struct BrailleCanvas {
    public let width: Int, height: Int       // in cells
    private var dots: [UInt8]                // per cell, the braille dot bits

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        dots = Array(repeating: 0, count: self.width * self.height)
    }

    public var dotWidth: Int { width * 2 }
    public var dotHeight: Int { height * 4 }

    /// Sets the dot at (x, y), dot coordinates, (0, 0) top left.
    public mutating func set(_ x: Int, _ y: Int) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        dots[(y / 4) * width + x / 2] |= bits[y % 4][x % 2]
    }

    /// A straight line between two dots.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) {
        let n = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in 0...n {
            set(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n)
        }
    }

    public func row(_ y: Int) -> String {
        String((0..<width).map { x -> Character in
            let b = dots[y * width + x]
            if !TextWidth.isUTF8 { return b == 0 ? " " : "*" }
            return Character(Unicode.Scalar(0x2800 + UInt32(b))!)
        })
    }

    public func isEmpty(_ x: Int, _ y: Int) -> Bool { dots[y * width + x] == 0 }
}

/// A line chart in braille with a y axis (human tick labels), an x axis with first / last
/// labels, and one style per series.
public struct LineChart {
    public var series: [(name: String, values: [Double], style: Style)]
    public var xLabels: (first: String, last: String)? = nil

    public init(series: [(name: String, values: [Double], style: Style)], xLabels: (first: String, last: String)? = nil) {
        self.series = series
        self.xLabels = xLabels
    }

    public func render(into buf: Buffer, area: Rect, axisStyle: Style) {
        let all = series.flatMap(\.values)
        guard area.width >= 12, area.height >= 3, let maxV = all.max(), let minRaw = all.min() else {
            buf.write("(no data)", x: area.x, y: area.y, style: axisStyle, maxWidth: area.width)
            return
        }
        let minV = min(0, minRaw), hi = maxV > minV ? maxV : minV + 1
        let ticks = Charts.ticks(minV, hi, count: max(2, min(5, area.height - 1)))
        let top = max(hi, ticks.last ?? hi)
        let labelW = (ticks.map { TextWidth.of(Human.count($0)) }.max() ?? 1) + 1
        let plotH = area.height - 2, plotW = area.width - labelW - 1
        guard plotH > 0, plotW > 1 else { return }
        // Axes.
        for t in ticks {
            let y = area.y + plotH - 1 - Int(((t - minV) / (top - minV) * Double(plotH - 1)).rounded())
            buf.writeRight(Human.count(t), x: area.x, y: y, width: labelW - 1, style: axisStyle)
        }
        for y in 0..<plotH { buf.write(TextWidth.isUTF8 ? "│" : "|", x: area.x + labelW, y: area.y + y, style: axisStyle) }
        buf.write((TextWidth.isUTF8 ? "└" : "+") + String(repeating: TextWidth.isUTF8 ? "─" : "-", count: plotW),
                  x: area.x + labelW, y: area.y + plotH, style: axisStyle, maxWidth: plotW + 1)
        if let xl = xLabels {
            buf.write(xl.first, x: area.x + labelW + 1, y: area.y + plotH + 1, style: axisStyle, maxWidth: plotW)
            buf.writeRight(xl.last, x: area.x, y: area.y + plotH + 1, width: area.width, style: axisStyle)
        }
        // Series, one canvas each so each keeps its colour (a later series draws over).
        for s in series where !s.values.isEmpty {
            var c = BrailleCanvas(width: plotW, height: plotH)
            let n = s.values.count
            func pt(_ i: Int) -> (Int, Int) {
                let x = n == 1 ? 0 : i * (c.dotWidth - 1) / (n - 1)
                let y = c.dotHeight - 1 - Int(((s.values[i] - minV) / (top - minV) * Double(c.dotHeight - 1)).rounded())
                return (x, y)
            }
            var prev = pt(0)
            c.set(prev.0, prev.1)
            for i in 1..<max(1, n) { let p = pt(i); c.line(prev.0, prev.1, p.0, p.1); prev = p }
            for y in 0..<plotH {
                let row = Array(c.row(y))
                for (x, ch) in row.enumerated() where !c.isEmpty(x, y) {
                    buf.write(String(ch), x: area.x + labelW + 1 + x, y: area.y + y, style: s.style)
                }
            }
        }
    }
}

/// Hour-of-day × day heatmap: one row a day, one cell an hour, shaded by value.
public enum Heatmap {
    static let shades: [String] = [" ", "░", "▒", "▓", "█"]
    static let asciiShades: [String] = [" ", ".", ":", "*", "#"]

    /// `rows`: label and 24 values each.
    public static func render(_ rows: [(label: String, values: [Double])], into buf: Buffer, area: Rect, style: Style, cellStyle: Style) {
        let labelW = min(area.width / 3, (rows.map { TextWidth.of($0.label) }.max() ?? 0) + 1)
        let maxV = rows.flatMap(\.values).max() ?? 0
        let ramp = TextWidth.isUTF8 ? shades : asciiShades
        let cols = min(24, max(0, area.width - labelW))
        for (i, r) in rows.prefix(area.height).enumerated() {
            buf.write(TextWidth.truncate(r.label, to: labelW - 1), x: area.x, y: area.y + i, style: style)
            for h in 0..<cols {
                let v = h < r.values.count ? r.values[h] : 0
                let k = maxV > 0 && v > 0 ? max(1, min(4, Int((v / maxV * 4).rounded(.up)))) : 0
                buf.write(ramp[k], x: area.x + labelW + h, y: area.y + i, style: cellStyle)
            }
        }
    }
}
