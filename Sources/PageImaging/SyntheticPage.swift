/// A page made in code for the simulated camera, the demo and the tests: paper with a title,
/// lines of text-like strokes (character cells of 2–4 strokes), a table and a stamp-like box, then
/// optionally blurred (three box-blur passes ≈ Gaussian), exposed darker or brighter, with sensor
/// noise. Deterministic for a seed, so tests get the same page every run.
public struct SyntheticPage: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var seed: UInt64
    /// Box-blur radius in pixels of this page (0: sharp). 3 passes; at 2592 wide, 6+ is clearly blurred.
    public var blurRadius: Int
    /// Light gain: 1 normal, 0.25 a dark room, 1.5 glare (clipped white).
    public var exposure: Double
    /// Amplitude of the uniform sensor noise, in grey levels.
    public var noise: Int

    public init(width: Int = 2592, height: Int = 1944, seed: UInt64 = 1, blurRadius: Int = 0, exposure: Double = 1, noise: Int = 3) {
        self.width = width
        self.height = height
        self.seed = seed
        self.blurRadius = blurRadius
        self.exposure = exposure
        self.noise = noise
    }

    /// The page as a grayscale image.
    public func render() -> GrayImage {
        var canvas = Canvas(width: max(64, width), height: max(64, height))
        var random = SplitMix(seed: seed)
        canvas.paper()
        let margin = canvas.width / 12
        let cell = max(8, canvas.width / 90)
        var y = margin
        // Title: bigger cells, centred.
        let titleCell = cell * 2
        let titleChars = 6 + Int(random.next() % 6)
        var x = (canvas.width - titleChars * titleCell) / 2
        for _ in 0..<titleChars {
            canvas.character(x: x, y: y, size: titleCell, random: &random)
            x += titleCell + titleCell / 6
        }
        y += titleCell * 2
        // Body text and a table.
        let tableStart = y + (canvas.height - y) / 2
        while y + cell < canvas.height - margin {
            if y >= tableStart && y < tableStart + cell * 2 {
                canvas.table(x: margin, y: y, width: canvas.width - 2 * margin, rows: 4, rowHeight: cell * 2, random: &random)
                y += cell * 2 * 4 + cell * 2
                continue
            }
            x = margin + (random.next() % 5 == 0 ? cell * 2 : 0)
            let lineEnd = canvas.width - margin - Int(random.next() % UInt64(max(1, canvas.width / 4)))
            while x + cell < lineEnd {
                canvas.character(x: x, y: y, size: cell, random: &random)
                x += cell + cell / 5
            }
            y += cell * 2
        }
        canvas.box(x: canvas.width - margin - cell * 8, y: canvas.height - margin - cell * 5, width: cell * 6, height: cell * 4,
                   thickness: max(2, cell / 6), ink: 90)
        if blurRadius > 0 { canvas.blur(radius: blurRadius, passes: 3) }
        canvas.finish(exposure: exposure, noise: noise, random: &random)
        return GrayImage(width: canvas.width, height: canvas.height, pixels: canvas.pixels)
    }

    /// The page as JPEG (grayscale, libturbojpeg).
    public func jpeg(quality: Int = 85) throws(JPEGError) -> [UInt8] {
        try JPEGEncoder.encode(render(), quality: quality)
    }
}

/// SplitMix64: small, fast, good enough for drawing.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The drawing surface of `SyntheticPage`.
struct Canvas {
    let width: Int
    let height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height)
    }

    /// Off-white paper, a little darker towards the corners (the camera's lamp is in the middle).
    mutating func paper() {
        let cx = Double(width) / 2, cy = Double(height) / 2
        let maxDistance = cx * cx + cy * cy
        pixels.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                let dy = Double(y) - cy
                for x in 0..<width {
                    let dx = Double(x) - cx
                    p[y * width + x] = UInt8(232 - 22 * (dx * dx + dy * dy) / maxDistance)
                }
            }
        }
    }

    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, ink: UInt8) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                for col in x0..<x1 { p[row * width + col] = ink }
            }
        }
    }

    /// A character-like glyph: 2–4 horizontal or vertical strokes in a square cell.
    mutating func character(x: Int, y: Int, size: Int, random: inout SplitMix) {
        let thickness = max(2, size / 9)
        let strokes = 2 + Int(random.next() % 3)
        for _ in 0..<strokes {
            let along = Int(random.next() % UInt64(max(1, size / 2))) + size / 2
            let offset = Int(random.next() % UInt64(max(1, size - thickness)))
            let start = Int(random.next() % UInt64(max(1, size - along + 1)))
            let ink = UInt8(25 + random.next() % 40)
            if random.next() % 2 == 0 {
                fill(x: x + start, y: y + offset, width: along, height: thickness, ink: ink)
            } else {
                fill(x: x + offset, y: y + start, width: thickness, height: along, ink: ink)
            }
        }
    }

    mutating func box(x: Int, y: Int, width w: Int, height h: Int, thickness: Int, ink: UInt8) {
        fill(x: x, y: y, width: w, height: thickness, ink: ink)
        fill(x: x, y: y + h - thickness, width: w, height: thickness, ink: ink)
        fill(x: x, y: y, width: thickness, height: h, ink: ink)
        fill(x: x + w - thickness, y: y, width: thickness, height: h, ink: ink)
    }

    mutating func table(x: Int, y: Int, width w: Int, rows: Int, rowHeight: Int, random: inout SplitMix) {
        let line = max(2, rowHeight / 12)
        for r in 0...rows { fill(x: x, y: y + r * rowHeight, width: w, height: line, ink: 50) }
        let columns = [0, w / 4, w - line]
        for c in columns { fill(x: x + c, y: y, width: line, height: rows * rowHeight + line, ink: 50) }
        let cell = rowHeight / 2
        for r in 0..<rows {
            var cx = x + cell / 2
            while cx + cell < x + w / 4 - cell / 2 {
                character(x: cx, y: y + r * rowHeight + cell / 2, size: cell, random: &random)
                cx += cell + cell / 5
            }
        }
    }

    /// `passes` separable box blurs of `radius` (running sums: linear in the pixel count).
    mutating func blur(radius: Int, passes: Int) {
        var scratch = [UInt8](repeating: 0, count: pixels.count)
        let (w, h) = (width, height)
        for _ in 0..<passes {
            pixels.withUnsafeMutableBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { dst in
                    Self.boxLine(src, dst, count: h, length: w, step: 1, lineStep: w, radius: radius)
                    Self.boxLine(dst, src, count: w, length: h, step: w, lineStep: 1, radius: radius)
                }
            }
        }
    }

    /// Box-averages `count` lines of `length` pixels (pixel `step` apart, lines `lineStep` apart), edges clamped.
    static func boxLine(_ src: UnsafeMutableBufferPointer<UInt8>, _ dst: UnsafeMutableBufferPointer<UInt8>, count: Int, length: Int,
                        step: Int, lineStep: Int, radius: Int) {
        let window = 2 * radius + 1
        for line in 0..<count {
            let base = line * lineStep
            @inline(__always) func at(_ i: Int) -> Int { Int(src[base + min(length - 1, max(0, i)) * step]) }
            var sum = 0
            for i in -radius...radius { sum += at(i) }
            for i in 0..<length {
                dst[base + i * step] = UInt8(sum / window)
                sum += at(i + radius + 1) - at(i - radius)
            }
        }
    }

    /// Applies the light gain and the noise, clamped to 0–255.
    mutating func finish(exposure: Double, noise: Int, random: inout SplitMix) {
        let gain = Int(exposure * 256)
        let span = UInt64(2 * noise + 1)
        pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                var v = Int(p[i]) * gain / 256
                if noise > 0 { v += Int(random.next() % span) - noise }
                p[i] = UInt8(min(255, max(0, v)))
            }
        }
    }
}
