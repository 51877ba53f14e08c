import CLinuxNet

/// glibc's malloc keeps the pages of freed memory: a hub's start (a thousand peers each sealing,
/// publishing and logging at once) leaves the heap at its high-water mark for the life of the
/// daemon. `malloc_trim(3)` returns free pages at the top of the heap and, since glibc 2.8, whole
/// free pages inside it, to the kernel.
public enum HeapTrim {
    /// Returns free heap pages to the kernel; true when some were released.
    @discardableResult
    public static func now() -> Bool { malloc_trim(0) != 0 }
}
