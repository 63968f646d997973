import Foundation

/// One dashboard panel's data, whatever made it: x labels and named series of numbers,
/// or a table. `Panel.render` draws it as the chart its kind names, in a box.
public struct PanelData: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Braille lines, one per series.
        case line
        /// Vertical bars of the first series (histogram is the same, for binned values).
        case bars, histogram
        /// One row per x label: label, bar, value (the first series).
        case hbars
        /// One row per x label: a stacked bar of every series, with a legend.
        case stacked
        /// Rows = x labels, 24 hour columns = the series' values (first series per row).
        case heatmap
        /// A fraction 0..1 (first value of the first series).
        case gauge
        /// A table: columns and rows; numeric columns get an inline bar.
        case table
        /// Big numbers: each x label with its value.
        case number
    }

    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Double]
        public init(_ name: String, _ values: [Double]) { self.name = name; self.values = values }
    }

    public var title: String
    public var kind: Kind
    public var x: [String] = []
    public var series: [Series] = []
    public var columns: [String] = []
    public var rows: [[String]] = []
    /// A line under the chart (a definition, a caveat).
    public var note: String?
    /// Why the panel couldn't be drawn (shown in its place).
    public var error: String?

    public init(title: String, kind: Kind, x: [String] = [], series: [Series] = [], columns: [String] = [], rows: [[String]] = [],
                note: String? = nil, error: String? = nil) {
        self.title = title; self.kind = kind; self.x = x; self.series = series; self.columns = columns; self.rows = rows
        self.note = note; self.error = error
    }
}

public enum Panel {
    /// Draws a panel in a box filling `area`. `palette` colours series in turn.
    public static func render(_ p: PanelData, into buf: Buffer, area: Rect, theme: Theme, palette: [Style]) {
        guard area.width >= 8, area.height >= 3 else { return }
        Box.draw(buf, area, style: theme["border"], title: p.title, titleStyle: theme["header"])
        var inner = Rect(x: area.x + 1, y: area.y + 1, width: area.width - 2, height: area.height - 2)
        let text = theme["base"], muted = theme["muted"]
        if let e = p.error {
            var y = inner.y
            var rest = Substring(e)
            while !rest.isEmpty && y < inner.maxY {
                let chunk = rest.prefix(max(1, inner.width))
                buf.write(String(chunk), x: inner.x, y: y, style: theme["error"], maxWidth: inner.width)
                rest = rest.dropFirst(chunk.count); y += 1
            }
            return
        }
        if let n = p.note, inner.height >= 3 {
            buf.write(n, x: inner.x, y: inner.maxY - 1, style: muted, maxWidth: inner.width)
            inner.height -= 1
        }
        let pal = palette.isEmpty ? [theme["accent"]] : palette
        let first = p.series.first?.values ?? []
        if p.kind != .table && p.kind != .number && (p.series.isEmpty || p.series.allSatisfy({ $0.values.isEmpty })) {
            buf.write("no data in this range", x: inner.x, y: inner.y, style: muted, maxWidth: inner.width)
            return
        }
        switch p.kind {
        case .line:
            var chartArea = inner
            if p.series.count > 1 {
                legend(p.series.map(\.name), buf, x: inner.x, y: inner.y, width: inner.width, pal)
                chartArea = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
            }
            let chart = LineChart(series: p.series.enumerated().map { ($1.name, $1.values, pal[$0 % pal.count]) },
                                  xLabels: p.x.isEmpty ? nil : (p.x.first!, p.x.last!))
            chart.render(into: buf, area: chartArea, axisStyle: muted)
        case .bars, .histogram:
            let n = max(1, first.count)
            let barW = max(1, min(6, inner.width / n - 1))
            let maxV = first.max() ?? 0
            buf.write("max \(Human.count(maxV))", x: inner.x, y: inner.y, style: muted, maxWidth: inner.width)
            let items = first.enumerated().map { (i, v) in (label: i < p.x.count ? p.x[i] : "", value: v) }
            let labelRow = inner.height > 3
            Charts.verticalBars(items, into: buf, area: Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - (labelRow ? 1 : 0) - 1 + 1),
                                style: muted, barStyle: pal[0], barWidth: barW)
        case .hbars:
            let items = first.enumerated().map { (i, v) in (label: i < p.x.count ? p.x[i] : "", value: v) }
            Charts.horizontalBars(items, into: buf, area: inner, style: text, barStyle: pal[0],
                                  format: { $0 > 0 && $0 < 1 && $0 != $0.rounded() ? String(format: "%.2f", $0) : Human.count($0) })
        case .stacked:
            legend(p.series.map(\.name), buf, x: inner.x, y: inner.y, width: inner.width, pal)
            let rowsAvail = inner.height - 1
            let labelW = min(inner.width / 3, (p.x.map { TextWidth.of($0) }.max() ?? 1))
            let totals = p.x.indices.map { i in p.series.reduce(0) { $0 + (i < $1.values.count ? max(0, $1.values[i]) : 0) } }
            let maxT = totals.max() ?? 0
            let valueW = min(7, totals.map { TextWidth.of(Human.count($0)) }.max() ?? 1)
            let barW = max(1, inner.width - labelW - valueW - 2)
            // The latest rows when they don't all fit — and it says so.
            let shown = Array(p.x.indices.suffix(max(0, rowsAvail)))
            if shown.count < p.x.count {
                buf.writeRight("latest \(shown.count) of \(p.x.count)", x: inner.x, y: inner.y, width: inner.width, style: muted)
            }
            for (k, i) in shown.enumerated() {
                let y = inner.y + 1 + k
                buf.write(TextWidth.pad(TextWidth.truncate(p.x[i], to: labelW), to: labelW), x: inner.x, y: y, style: muted)
                let w = maxT > 0 ? Int((totals[i] / maxT * Double(barW)).rounded()) : 0
                Charts.stackedBar(p.series.enumerated().map { (s, ser) in (i < ser.values.count ? ser.values[i] : 0, pal[s % pal.count]) },
                                  width: w, into: buf, x: inner.x + labelW + 1, y: y)
                buf.writeRight(Human.count(totals[i]), x: inner.x, y: y, width: inner.width, style: text)
            }
        case .heatmap:
            let rows = p.x.enumerated().map { (i, l) in (label: l, values: i < p.series.count ? p.series[i].values : []) }
            buf.write(TextWidth.pad("", to: min(inner.width / 3, (p.x.map { TextWidth.of($0) }.max() ?? 0) + 1)) + "0     6     12    18   h", x: inner.x, y: inner.y, style: muted, maxWidth: inner.width)
            Heatmap.render(Array(rows.suffix(inner.height - 1)), into: buf, area: Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1),
                           style: muted, cellStyle: pal[0])
        case .gauge:
            let v = first.first ?? 0
            buf.write(Charts.gauge(v, width: inner.width), x: inner.x, y: inner.y, style: pal[0], maxWidth: inner.width)
            if let l = p.x.first { buf.write(l, x: inner.x, y: inner.y + 1, style: muted, maxWidth: inner.width) }
        case .number:
            for (i, l) in p.x.enumerated() where i < inner.height {
                let v = i < first.count ? first[i] : 0
                let used = buf.write(TextWidth.pad(l, to: min(inner.width / 2, 22)), x: inner.x, y: inner.y + i, style: muted, maxWidth: inner.width / 2)
                buf.write(v != v.rounded() && abs(v) < 10 ? String(format: "%.3f", v) : Human.count(v), x: inner.x + used + 1, y: inner.y + i,
                          style: theme["accent"].bolded(), maxWidth: inner.width - used - 1)
            }
        case .table:
            table(p, buf, inner, theme, pal[0])
        }
    }

    static func legend(_ names: [String], _ buf: Buffer, x: Int, y: Int, width: Int, _ pal: [Style]) {
        var cx = x
        for (i, n) in names.enumerated() {
            let item = (TextWidth.isUTF8 ? "■ " : "# ") + n + "  "
            if cx + TextWidth.of(item) > x + width { break }
            cx += buf.write(item, x: cx, y: y, style: pal[i % pal.count])
        }
    }

    /// A table whose numeric columns carry an inline bar under their value's share of the column's max.
    static func table(_ p: PanelData, _ buf: Buffer, _ area: Rect, _ theme: Theme, _ barStyle: Style) {
        guard !p.columns.isEmpty else { buf.write("no rows", x: area.x, y: area.y, style: theme["muted"]); return }
        let numeric = p.columns.indices.map { c in !p.rows.isEmpty && p.rows.allSatisfy { c < $0.count && (Double($0[c]) != nil || $0[c].isEmpty) } }
        let maxes = p.columns.indices.map { c in p.rows.compactMap { c < $0.count ? Double($0[c]) : nil }.max() ?? 0 }
        var widths = p.columns.indices.map { c in max(TextWidth.of(p.columns[c]), min(28, p.rows.map { c < $0.count ? TextWidth.of($0[c]) : 0 }.max() ?? 0)) }
        // The last numeric column gets a bar when there is room.
        let barCol = numeric.lastIndex(of: true)
        let used = widths.reduce(0) { $0 + $1 + 1 }
        let barW = barCol != nil ? max(0, min(20, area.width - used - 1)) : 0
        if let b = barCol { widths[b] += barW > 0 ? barW + 1 : 0 }
        var x = area.x
        for (c, name) in p.columns.enumerated() where x < area.maxX {
            buf.write(name, x: x, y: area.y, style: theme["header"], maxWidth: min(widths[c], area.maxX - x))
            x += widths[c] + 1
        }
        for (r, row) in p.rows.prefix(area.height - 1).enumerated() {
            x = area.x
            let y = area.y + 1 + r
            for c in p.columns.indices where x < area.maxX {
                let v = c < row.count ? row[c] : ""
                let w = min(widths[c], area.maxX - x)
                if c == barCol, barW > 0, let d = Double(v) {
                    let vw = widths[c] - barW - 1
                    buf.writeRight(v, x: x, y: y, width: min(vw, w), style: theme["base"])
                    if w > vw + 1 { buf.write(Charts.bar(d, max: maxes[c], width: barW), x: x + vw + 1, y: y, style: barStyle, maxWidth: w - vw - 1) }
                } else if numeric[c] {
                    buf.writeRight(v, x: x, y: y, width: w, style: theme["base"])
                } else {
                    buf.write(v, x: x, y: y, style: theme["base"], maxWidth: w)
                }
                x += widths[c] + 1
            }
        }
    }
}
