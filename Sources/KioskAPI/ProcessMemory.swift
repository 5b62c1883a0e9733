import CMalloc
import Foundation

/// Where kioskd's memory is, for `/metrics` and the API benchmark: the resident set, what malloc
/// hands out and what it holds free (fragmentation, arenas), and SQLite's own allocations.
public struct ProcessMemory: Sendable, Hashable {
    /// Resident set size (`/proc/self/statm`), in bytes.
    public var residentBytes: Int
    /// Bytes in use by the program through malloc (`mallinfo2().uordblks` + mmapped blocks).
    public var mallocInUseBytes: Int
    /// Bytes malloc holds free in its arenas (`mallinfo2().fordblks`): freed but not returned.
    public var mallocFreeBytes: Int

    /// Reads the figures now (a few microseconds).
    public static func current() -> ProcessMemory {
        var resident = 0
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) { resident = pages * Int(sysconf(Int32(_SC_PAGESIZE))) }
        }
        let info = mallinfo2()
        return ProcessMemory(residentBytes: resident, mallocInUseBytes: Int(info.uordblks) + Int(info.hblkhd),
                             mallocFreeBytes: Int(info.fordblks))
    }

    /// Gives the memory malloc holds free back to the system (`malloc_trim`): freed chunks in the
    /// arenas of many threads would otherwise stay resident for good.
    public static func trim() {
        _ = malloc_trim(0)
    }
}
