import CSodium

/// libsodium must be initialised once before use (it picks implementations and opens the random
/// source). A Swift global is initialised exactly once, thread-safely, on first use.
private let sodiumInitResult: Int32 = sodium_init()

/// Makes sure libsodium is initialised; every entry point of this module that calls libsodium
/// calls this first. sodium_init only fails when the system has no usable random source, and
/// then no record can be sealed safely, so that stops the process.
func ensureSodium() {
    precondition(sodiumInitResult >= 0, "sodium_init failed: libsodium has no usable random source")
}
