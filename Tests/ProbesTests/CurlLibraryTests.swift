import Glibc
@testable import Probes
import Testing

/// libcurl is loaded at run time (CurlLibrary): the real one loads once with every function, and a
/// missing library or function is a typed error in the dynamic loader's words.
@Suite struct CurlLibraryTests {
    @Test func theRealLibcurlLoadsOnceWithEveryFunction() throws {
        try CurlLibrary.load()
        #expect(try CurlLibrary.load() == false, "a second load must do nothing")
        // Mapped now (RTLD_NOLOAD only finds a library already loaded).
        let handle = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD)
        #expect(handle != nil)
        if let handle { dlclose(handle) }
        // Every function the wrappers call, looked up again by name.
        try CurlLibrary.open("libcurl.so.4")
    }

    @Test func aMissingLibraryIsATypedErrorWithDlerrorsText() {
        let library = "libstunmeshd-test-no-such-curl.so.4"
        #expect {
            try CurlLibrary.open(library)
        } throws: { error in
            guard case .libraryMissing(let named, let reason) = error as? CurlLoadError else { return false }
            return named == library && reason.contains(library) && reason.contains("cannot open shared object file")
        }
        let error = CurlLoadError.libraryMissing(library: library, reason: "\(library): cannot open shared object file")
        #expect(error.description.hasPrefix("cannot load \(library), which the cloudflare and opendht stores need"))
        #expect(error.description.hasSuffix("cannot open shared object file"))
    }

    @Test func aLibraryThatIsNotLibcurlNamesTheMissingFunction() {
        // zlib: present on every machine that runs the daemon, and without curl's functions.
        #expect {
            try CurlLibrary.open("libz.so.1")
        } throws: { error in
            guard case .symbolMissing(let library, let symbol, let reason) = error as? CurlLoadError else { return false }
            return library == "libz.so.1" && symbol == "curl_global_init" && reason.contains("undefined symbol: curl_global_init")
        }
    }
}
