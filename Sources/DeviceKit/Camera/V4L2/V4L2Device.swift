import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// An open V4L2 capture node (`/dev/videoN`), opened non-blocking. Owns the descriptor (closed in
/// `deinit`) and any streaming buffers (released after each grab). Not thread-safe: `V4L2Camera`
/// uses it from one thread at a time. Every wait is bounded: frames are awaited with `poll()` in
/// short slices up to a deadline, and the non-blocking DQBUF never sleeps in the kernel.
public final class V4L2Device: @unchecked Sendable {
    public let path: String
    private(set) var fd: Int32

    static let captureType = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
    static let memoryMMAP = V4L2_MEMORY_MMAP.rawValue
    static let memoryUserPointer = V4L2_MEMORY_USERPTR.rawValue

    /// Opens the node; throws `.noDevice` when it is missing or not a character device.
    public init(path: String) throws(V4L2Error) {
        self.path = path
        let descriptor = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw V4L2Error.from(errno: errno, "open \(path)") }
        fd = descriptor
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Closes the node now (also done by `deinit`).
    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    private func ioctl<T>(_ request: UInt, _ name: String, _ value: inout T) throws(V4L2Error) {
        guard fd >= 0 else { throw V4L2Error(.gone, "\(name) on a closed device") }
        let rc = withUnsafeMutablePointer(to: &value) { ow_v4l2_ioctl(fd, request, UnsafeMutableRawPointer($0)) }
        guard rc == 0 else { throw V4L2Error.from(errno: errno, name) }
    }

    static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    // MARK: discovery

    public func capabilities() throws(V4L2Error) -> V4L2Capabilities {
        var cap = v4l2_capability()
        try ioctl(OW_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", &cap)
        let deviceCaps = cap.capabilities & 0x8000_0000 != 0 ? cap.device_caps : cap.capabilities
        return V4L2Capabilities(driver: Self.text(cap.driver), card: Self.text(cap.card), busInfo: Self.text(cap.bus_info),
                                deviceCaps: deviceCaps)
    }

    /// The capture formats with their discrete frame sizes (stepwise ranges are listed by their ends).
    public func formats() throws(V4L2Error) -> [V4L2FormatInfo] {
        var found: [V4L2FormatInfo] = []
        for index in 0..<64 {
            var desc = v4l2_fmtdesc()
            desc.index = UInt32(index)
            desc.type = Self.captureType
            do { try ioctl(OW_VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT", &desc) } catch {
                if error.code == .unsupported { break }   // EINVAL: past the last format
                throw error
            }
            found.append(V4L2FormatInfo(fourcc: FourCC(rawValue: desc.pixelformat).description, description: Self.text(desc.description),
                                        sizes: try frameSizes(desc.pixelformat)))
        }
        return found
    }

    func frameSizes(_ pixelFormat: UInt32) throws(V4L2Error) -> [V4L2FormatInfo.Size] {
        var sizes: [V4L2FormatInfo.Size] = []
        for index in 0..<128 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(index)
            size.pixel_format = pixelFormat
            do { try ioctl(OW_VIDIOC_ENUM_FRAMESIZES, "VIDIOC_ENUM_FRAMESIZES", &size) } catch {
                if error.code == .unsupported { break }
                throw error
            }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append(.init(width: Int(size.discrete.width), height: Int(size.discrete.height)))
            } else {
                let s = size.stepwise
                sizes.append(.init(width: Int(s.min_width), height: Int(s.min_height)))
                sizes.append(.init(width: Int(s.max_width), height: Int(s.max_height)))
                break
            }
        }
        return sizes
    }

    // MARK: set-up

    /// VIDIOC_S_FMT; returns what the driver agreed to. Refuses a different size or format.
    @discardableResult
    public func setFormat(width: Int, height: Int, fourcc: FourCC) throws(V4L2Error) -> V4L2ActiveFormat {
        var format = v4l2_format()
        format.type = Self.captureType
        format.fmt.pix.width = UInt32(width)
        format.fmt.pix.height = UInt32(height)
        format.fmt.pix.pixelformat = fourcc.rawValue
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try ioctl(OW_VIDIOC_S_FMT, "VIDIOC_S_FMT", &format)
        let pix = format.fmt.pix
        let active = V4L2ActiveFormat(width: Int(pix.width), height: Int(pix.height), fourcc: FourCC(rawValue: pix.pixelformat),
                                      bytesPerLine: Int(pix.bytesperline), sizeImage: Int(pix.sizeimage))
        guard active.width == width, active.height == height, active.fourcc == fourcc else {
            throw V4L2Error(.unsupported, "asked for \(fourcc) \(width)x\(height), the camera offers \(active.fourcc) \(active.width)x\(active.height)")
        }
        return active
    }

    /// Sets a control by the name the driver gives it (VIDIOC_QUERYCTRL with NEXT_CTRL, then
    /// VIDIOC_S_CTRL). Returns false when the camera has no control of that name.
    @discardableResult
    public func setControl(named name: String, to value: Int) throws(V4L2Error) -> Bool {
        var id: UInt32 = 0
        for _ in 0..<1024 {
            var query = v4l2_queryctrl()
            query.id = id | OW_V4L2_CTRL_FLAG_NEXT_CTRL
            do { try ioctl(OW_VIDIOC_QUERYCTRL, "VIDIOC_QUERYCTRL", &query) } catch {
                if error.code == .unsupported { return false }   // EINVAL: no more controls
                throw error
            }
            id = query.id
            guard Self.text(query.name).caseInsensitiveCompare(name) == .orderedSame else { continue }
            guard query.flags & 0x1 == 0 else { throw V4L2Error(.unsupported, "control '\(name)' is disabled on this camera") }
            guard (Int(query.minimum)...Int(max(query.minimum, query.maximum))).contains(value) else {
                throw V4L2Error(.unsupported, "control '\(name)' takes \(query.minimum)…\(query.maximum), the profile gives \(value)")
            }
            var control = v4l2_control(id: query.id, value: Int32(value))
            try ioctl(OW_VIDIOC_S_CTRL, "VIDIOC_S_CTRL '\(name)'", &control)
            return true
        }
        return false
    }

    // MARK: streaming

    /// Streams until `warmupFrames` frames were dropped and one more arrived, copies it, stops.
    /// MMAP buffers first; a driver refusing MMAP (EINVAL) gets USERPTR buffers.
    public func grab(format: V4L2ActiveFormat, buffers count: Int = 2, warmupFrames: Int = 0,
                     timeoutMilliseconds: Int) throws(V4L2Error) -> V4L2Frame {
        let deadline = Self.now() + Double(timeoutMilliseconds) / 1000
        let length = max(format.sizeImage, format.bytesPerLine * format.height, format.width * format.height * 2)
        var pool = try BufferPool.make(device: self, count: count, length: length)
        defer { pool.release(device: self) }
        for index in pool.buffers.indices { try queue(pool, index) }
        var type = Int32(bitPattern: Self.captureType)
        try ioctl(OW_VIDIOC_STREAMON, "VIDIOC_STREAMON", &type)
        defer {
            var off = Int32(bitPattern: Self.captureType)
            _ = try? ioctl(OW_VIDIOC_STREAMOFF, "VIDIOC_STREAMOFF", &off)
        }
        var dropped = 0
        while true {
            let buffer = try dequeue(pool, deadline: deadline, timeoutMilliseconds: timeoutMilliseconds)
            let used = Int(buffer.bytesused)
            let index = Int(buffer.index)
            guard pool.buffers.indices.contains(index), used <= pool.buffers[index].length else {
                throw V4L2Error(.failed, "VIDIOC_DQBUF gave buffer \(index) with \(used) bytes, outside the \(pool.buffers.count) buffers queued")
            }
            // A frame flagged as corrupt (V4L2_BUF_FLAG_ERROR), an empty one, or a warm-up frame: queue again.
            if buffer.flags & 0x40 != 0 || used == 0 || dropped < warmupFrames {
                dropped += used == 0 || buffer.flags & 0x40 != 0 ? 0 : 1
                try queue(pool, index)
                continue
            }
            let bytes = Array(UnsafeRawBufferPointer(start: pool.buffers[index].address, count: used))
            return V4L2Frame(format: format, bytes: bytes)
        }
    }

    private func queue(_ pool: BufferPool, _ index: Int) throws(V4L2Error) {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = Self.captureType
        buffer.memory = pool.memory
        if pool.memory == Self.memoryUserPointer {
            buffer.m.userptr = UInt(bitPattern: pool.buffers[index].address)
            buffer.length = UInt32(pool.buffers[index].length)
        }
        try ioctl(OW_VIDIOC_QBUF, "VIDIOC_QBUF", &buffer)
    }

    /// Waits (poll in ≤ 50 ms slices, so a node that never signals readiness is still asked) until a
    /// buffer is dequeued or the deadline passes.
    private func dequeue(_ pool: BufferPool, deadline: Double, timeoutMilliseconds: Int) throws(V4L2Error) -> v4l2_buffer {
        while true {
            var buffer = v4l2_buffer()
            buffer.type = Self.captureType
            buffer.memory = pool.memory
            let rc = withUnsafeMutablePointer(to: &buffer) { ow_v4l2_ioctl(fd, OW_VIDIOC_DQBUF, UnsafeMutableRawPointer($0)) }
            if rc == 0 { return buffer }
            let code = errno
            guard code == EAGAIN else { throw V4L2Error.from(errno: code, "VIDIOC_DQBUF") }
            let left = deadline - Self.now()
            guard left > 0 else { throw V4L2Error(.timedOut, "no frame from \(path) within \(timeoutMilliseconds) ms") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(50, max(1, Int(left * 1000)))))
            if ready < 0 && errno != EINTR { throw V4L2Error.from(errno: errno, "poll \(path)") }
            if ready > 0 && pfd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && pfd.revents & Int16(POLLIN) == 0 {
                // Let DQBUF name the error (ENODEV after an unplug) on the next turn, but not forever.
                if Self.now() >= deadline { throw V4L2Error(.gone, "\(path) reports an error condition (poll revents \(pfd.revents))") }
            }
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    fileprivate func rawIoctl<T>(_ request: UInt, _ name: String, _ value: inout T) throws(V4L2Error) {
        try ioctl(request, name, &value)
    }
}

/// The streaming buffers of one grab: kernel buffers mapped into the process (MMAP) or buffers the
/// process allocates and lends to the driver (USERPTR).
struct BufferPool {
    struct Buffer {
        var address: UnsafeMutableRawPointer
        var length: Int
    }

    var memory: UInt32
    var buffers: [Buffer]

    static func make(device: V4L2Device, count: Int, length: Int) throws(V4L2Error) -> BufferPool {
        var request = v4l2_requestbuffers()
        request.count = UInt32(count)
        request.type = V4L2Device.captureType
        request.memory = V4L2Device.memoryMMAP
        do {
            try device.rawIoctl(OW_VIDIOC_REQBUFS, "VIDIOC_REQBUFS(MMAP)", &request)
        } catch where error.code == .unsupported {
            return try userPointers(device: device, count: count, length: length)
        }
        guard request.count > 0 else { throw V4L2Error(.unsupported, "VIDIOC_REQBUFS(MMAP) granted no buffers") }
        var pool = BufferPool(memory: V4L2Device.memoryMMAP, buffers: [])
        for index in 0..<Int(request.count) {
            var buffer = v4l2_buffer()
            buffer.index = UInt32(index)
            buffer.type = V4L2Device.captureType
            buffer.memory = V4L2Device.memoryMMAP
            do {
                try device.rawIoctl(OW_VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF", &buffer)
            } catch {
                pool.release(device: device)
                throw error
            }
            let mapped = mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, device.fd, off_t(buffer.m.offset))
            guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {
                // Some nodes grant MMAP buffers but cannot map them (an emulated node answers ENODEV):
                // give them back and lend our own memory instead. An unplugged camera fails there too.
                let mmapError = V4L2Error.from(errno: errno, "mmap of buffer \(index)")
                pool.release(device: device)
                do { return try userPointers(device: device, count: count, length: length) } catch {
                    throw error.code == .unsupported ? mmapError : error
                }
            }
            pool.buffers.append(Buffer(address: mapped, length: Int(buffer.length)))
        }
        return pool
    }

    static func userPointers(device: V4L2Device, count: Int, length: Int) throws(V4L2Error) -> BufferPool {
        var request = v4l2_requestbuffers()
        request.count = UInt32(count)
        request.type = V4L2Device.captureType
        request.memory = V4L2Device.memoryUserPointer
        try device.rawIoctl(OW_VIDIOC_REQBUFS, "VIDIOC_REQBUFS(USERPTR)", &request)
        guard request.count > 0 else { throw V4L2Error(.unsupported, "VIDIOC_REQBUFS(USERPTR) granted no buffers") }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let rounded = (length + page - 1) / page * page
        return BufferPool(memory: V4L2Device.memoryUserPointer, buffers: (0..<Int(request.count)).map { _ in
            Buffer(address: UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: page), length: rounded)
        })
    }

    /// Unmaps or frees the buffers and tells the driver to drop them (REQBUFS with count 0).
    mutating func release(device: V4L2Device) {
        for buffer in buffers {
            if memory == V4L2Device.memoryMMAP { munmap(buffer.address, buffer.length) } else { buffer.address.deallocate() }
        }
        buffers = []
        var request = v4l2_requestbuffers()
        request.count = 0
        request.type = V4L2Device.captureType
        request.memory = memory
        _ = try? device.rawIoctl(OW_VIDIOC_REQBUFS, "VIDIOC_REQBUFS(0)", &request)
    }
}
