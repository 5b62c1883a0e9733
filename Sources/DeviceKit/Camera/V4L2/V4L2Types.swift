/// A four-character pixel format code (`MJPG`, `YUYV`).
public struct FourCC: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ text: String) {
        let bytes = Array(text.utf8.prefix(4)) + [UInt8](repeating: 0x20, count: max(0, 4 - text.utf8.count))
        rawValue = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    public static let mjpeg = FourCC("MJPG")
    public static let yuyv = FourCC("YUYV")

    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> ($0 * 8)) }, as: UTF8.self)
    }
}

/// What VIDIOC_QUERYCAP says.
public struct V4L2Capabilities: Sendable, Hashable, Codable {
    public var driver: String
    public var card: String
    public var busInfo: String
    /// The device node's own capabilities (`device_caps`, else `capabilities`).
    public var deviceCaps: UInt32

    public var canCapture: Bool { deviceCaps & 0x1 != 0 }
    public var canStream: Bool { deviceCaps & 0x0400_0000 != 0 }
}

/// One pixel format the camera offers (VIDIOC_ENUM_FMT) and its discrete frame sizes (VIDIOC_ENUM_FRAMESIZES).
public struct V4L2FormatInfo: Sendable, Hashable, Codable {
    /// A frame size in pixels.
    public struct Size: Sendable, Hashable, Codable, CustomStringConvertible {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        public var description: String { "\(width)x\(height)" }
    }

    public var fourcc: String
    public var description: String
    public var sizes: [Size]
}

/// The format the driver agreed to (VIDIOC_S_FMT may adjust what was asked).
public struct V4L2ActiveFormat: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var fourcc: FourCC
    public var bytesPerLine: Int
    public var sizeImage: Int
}

/// A captured frame as the camera delivered it.
public struct V4L2Frame: Sendable {
    public var format: V4L2ActiveFormat
    public var bytes: [UInt8]
}
