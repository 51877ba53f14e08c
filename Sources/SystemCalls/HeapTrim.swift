import CLinuxNet

/// glibc's malloc keeps the pages of freed memory: a hub's start (a thousand peers each sealing,
/// publishing and logging at once) leaves the heap at its high-water mark for the life of the
/// daemon. `malloc_trim(3)` returns free pages at the top of the heap and, since glibc 2.8, whole
/// free pages inside it, to the kernel.
public enum HeapTrim {
    /// Allocations of 128 kB and more get pages of their own (mmap), returned to the kernel when
    /// freed. glibc's default threshold starts there but rises to the size of the largest block
    /// freed (up to 32 MB), after which a hub's periodic large buffers (a 1,000-peer WireGuard dump
    /// is ~300 kB of text, the status file ~1 MB) come from the heap and stay resident. Setting it
    /// fixes it; call once at start.
    public static func keepLargeBlocksOutOfTheHeap() {
        _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    }

    /// Returns free heap pages to the kernel; true when some were released.
    @discardableResult
    public static func now() -> Bool { malloc_trim(0) != 0 }
}
