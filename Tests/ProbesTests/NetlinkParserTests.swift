import CLibMNL
import Glibc
@testable import Probes
import SystemCalls
import Testing

/// NetworkView and RouteMessageDecoder on datagrams the real kernel sent (see
/// NetlinkCapturedMessages.swift), and on broken ones.
struct NetlinkParserTests {
    // Indexes and link-local addresses in the capture.
    let lo: Int32 = 1, nlt1: Int32 = 2, nlt0: Int32 = 3
    let nlt1LinkLocal = IPAddress("fe80::48c9:eeff:fe91:a064")!
    let nlt0LinkLocal = IPAddress("fe80::4060:6ff:fe56:3288")!

    /// The datagrams of one captured step.
    func captured(_ step: String) -> [[UInt8]] {
        CapturedNetlink.datagrams.filter { $0.step == step }.map { netlinkBytes(hex: $0.hex)! }
    }

    /// Feeds the capture through a view the way NetworkMonitor does (starting planned dumps
    /// between datagrams, with the capture's sequence numbers 7 and 8); returns the changes of
    /// each step.
    func replay(into view: inout NetworkView, steps: [String]? = nil) throws -> [String: [NetworkChange]] {
        var sequence: UInt32 = 7
        var changes: [String: [NetworkChange]] = [:]
        for (step, hex) in CapturedNetlink.datagrams where steps?.contains(step) ?? true {
            if view.startNextDump(sequence: sequence, portID: CapturedNetlink.portID) != nil { sequence += 1 }
            changes[step, default: []] += try view.apply(bytes: netlinkBytes(hex: hex)!)
        }
        return changes
    }

    @Test func replaysTheKernelsMessagesIntoChanges() throws {
        var view = NetworkView()
        let changes = try replay(into: &view)
        #expect(changes["dumpLinks"] == [])
        #expect(changes["dumpAddresses"] == [])
        #expect(changes["add"] == [.linkAdded(name: "nlt1", index: nlt1), .linkAdded(name: "nlt0", index: nlt0)])
        // nlt1 is up but has no carrier until its peer nlt0 is up.
        #expect(changes["up1"] == [])
        #expect(changes["up0"] == [.linkUp(name: "nlt0", index: nlt0), .linkUp(name: "nlt1", index: nlt1),
                                   .addressAdded(interface: "nlt1", address: nlt1LinkLocal),
                                   .addressAdded(interface: "nlt0", address: nlt0LinkLocal)])
        // Local-table and prefix routes that come with an address are not default routes.
        #expect(changes["addr4"] == [.addressAdded(interface: "nlt0", address: IPAddress("10.200.0.1")!)])
        // Reported once, when duplicate address detection is over, not while tentative.
        #expect(changes["addr6"] == [.addressAdded(interface: "nlt0", address: IPAddress("fd00:200::1")!)])
        #expect(changes["route4"] == [.defaultRouteChanged(family: AF_INET)])
        #expect(changes["route6"] == [.defaultRouteChanged(family: AF_INET6)])
        #expect(changes["routeTable100"] == [])
        #expect(changes["delAddr4"] == [.addressRemoved(interface: "nlt0", address: IPAddress("10.200.0.1")!)])
        // Down flushes IPv6 addresses and the IPv6 default route; the peer loses carrier.
        #expect(changes["down0"] == [.linkDown(name: "nlt0", index: nlt0), .defaultRouteChanged(family: AF_INET6),
                                     .addressRemoved(interface: "nlt0", address: IPAddress("fd00:200::1")!),
                                     .addressRemoved(interface: "nlt0", address: nlt0LinkLocal),
                                     .linkDown(name: "nlt1", index: nlt1)])
        #expect(changes["del"] == [.addressRemoved(interface: "nlt1", address: nlt1LinkLocal),
                                   .linkRemoved(name: "nlt0", index: nlt0), .linkRemoved(name: "nlt1", index: nlt1)])

        #expect(view.links == [lo: .init(name: "lo", isUp: true)])
        #expect(view.addresses == [.init(index: lo, address: IPAddress("127.0.0.1")!), .init(index: lo, address: IPAddress("::1")!)])
        #expect(view.dump == nil && view.plannedDumps.isEmpty)
    }

    @Test func aRepeatedMessageChangesNothing() throws {
        var view = NetworkView()
        var sequence: UInt32 = 7
        for (step, hex) in CapturedNetlink.datagrams {
            if view.startNextDump(sequence: sequence, portID: CapturedNetlink.portID) != nil { sequence += 1 }
            let datagram = netlinkBytes(hex: hex)!
            _ = try view.apply(bytes: datagram)
            // Same state again: no transition, a known address, a known link (deletions aside).
            let again = try view.apply(bytes: datagram)
            #expect(again.allSatisfy { if case .defaultRouteChanged = $0 { true } else if case .linkRemoved = $0 { true } else { false } },
                    "\(step): \(again)")
        }
    }

    @Test func aRenameIsTheOldNameRemovedAndTheNewAdded() throws {
        var view = NetworkView()
        _ = try replay(into: &view, steps: ["dumpLinks", "dumpAddresses", "add"])
        var renamed = captured("add")[1]  // RTM_NEWLINK of nlt0
        let name = Array("nlt0\0".utf8)
        let at = try #require((0...(renamed.count - name.count)).first { Array(renamed[$0..<$0 + name.count]) == name })
        renamed[at + 3] = UInt8(ascii: "9")
        #expect(try view.apply(bytes: renamed) == [.linkRemoved(name: "nlt0", index: nlt0), .linkAdded(name: "nlt9", index: nlt0)])
    }

    @Test func bridgePortMessagesAreIgnored() throws {
        var view = NetworkView()
        _ = try replay(into: &view, steps: ["dumpLinks", "dumpAddresses", "add"])
        var bridgeDelete = captured("del").last!  // RTM_DELLINK of nlt1
        bridgeDelete[16] = UInt8(AF_BRIDGE)  // ifi_family
        #expect(try view.apply(bytes: bridgeDelete) == [])
        #expect(view.links[nlt1] != nil)
    }

    @Test func anInterruptedDumpIsAskedForAgain() throws {
        var view = NetworkView()
        #expect(view.startNextDump(sequence: 7, portID: CapturedNetlink.portID) == .links)
        for var datagram in captured("dumpLinks") {
            datagram[6] |= UInt8(NLM_F_DUMP_INTR)  // nlmsg_flags, low byte
            #expect(try view.apply(bytes: datagram) == [])
        }
        #expect(view.dump == nil)
        #expect(view.plannedDumps == [.links, .addresses])
        #expect(view.startNextDump(sequence: 9, portID: CapturedNetlink.portID) == .links)
    }

    @Test func aRefusedDumpIsAnOverrunNotALoop() throws {
        var view = NetworkView()
        #expect(view.startNextDump(sequence: 7, portID: CapturedNetlink.portID) == .links)
        // NLMSG_ERROR, seq 7, to our port, error -EBUSY, then the request's header.
        var error = [UInt8](repeating: 0, count: 36)
        withUnsafeBytes(of: UInt32(36).littleEndian) { error.replaceSubrange(0..<4, with: $0) }
        error[4] = UInt8(NLMSG_ERROR)
        error[8] = 7
        withUnsafeBytes(of: CapturedNetlink.portID.littleEndian) { error.replaceSubrange(12..<16, with: $0) }
        withUnsafeBytes(of: (-EBUSY).littleEndian) { error.replaceSubrange(16..<20, with: $0) }
        #expect(try view.apply(bytes: error) == [.overrun])
        #expect(view.dump == nil)
        #expect(view.plannedDumps == [.addresses])
    }

    @Test func aResyncForgetsWhatIsGoneSilently() throws {
        var view = NetworkView()
        _ = try replay(into: &view, steps: ["dumpLinks", "dumpAddresses", "add", "up1", "up0", "addr4"])
        #expect(view.links.count == 3)
        view.planResync()
        // Dump again as if nlt0/nlt1 had vanished during an overrun: only lo is listed.
        #expect(view.startNextDump(sequence: 20, portID: CapturedNetlink.portID) == .links)
        for var datagram in captured("dumpLinks") {
            datagram[8] = 20  // nlmsg_seq, low byte
            #expect(try view.apply(bytes: datagram) == [])
        }
        #expect(view.links == [lo: .init(name: "lo", isUp: true)])
        #expect(view.addresses.allSatisfy { $0.index == lo })
        #expect(view.plannedDumps == [.addresses])
    }

    @Test func dumpRequestsAreWhatTheKernelAnswered() {
        // The capture's dumps were answered for these exact requests.
        #expect(NetworkMonitor.dumpRequest(.links, sequence: 7)
                == netlinkBytes(hex: "20000000 1200 0103 07000000 00000000" + String(repeating: "00", count: 16)))
        #expect(NetworkMonitor.dumpRequest(.addresses, sequence: 8)
                == netlinkBytes(hex: "18000000 1600 0103 08000000 00000000" + String(repeating: "00", count: 8)))
    }

    @Test func oneOverrunPerBatch() {
        let link = NetworkChange.linkUp(name: "a", index: 1)
        #expect(NetworkMonitor.coalescingOverruns([.overrun, link, .overrun, .overrun]) == [.overrun, link])
        #expect(NetworkMonitor.coalescingOverruns([link]) == [link])
    }

    // MARK: - Broken input: a typed error or nothing, never a crash.

    @Test func anEmptyBufferIsNothing() throws {
        var view = NetworkView()
        #expect(try view.apply(bytes: []) == [])
    }

    @Test func everyTruncationIsMalformed() throws {
        for datagram in captured("add") + captured("addr6") + captured("route4") {
            for length in 1..<datagram.count {
                var view = NetworkView()
                #expect(throws: NetlinkError.self) { try view.apply(bytes: Array(datagram[..<length])) }
            }
        }
    }

    @Test func shapesTheKernelNeverSendsAreMalformed() throws {
        var view = NetworkView()
        // A RTM_NEWLINK with no room for its ifinfomsg.
        let headerOnly = netlinkBytes(hex: "10000000 1000 0000 00000000 00000000")!
        #expect(throws: NetlinkError.self) { try view.apply(bytes: headerOnly) }

        // A RTM_NEWADDR (AF_INET) whose IFA_ADDRESS has 3 bytes.
        let shortAddress = netlinkBytes(hex: "20000000 1400 0000 00000000 00000000 02180000 01000000 0700 0100 0a0000 00")!
        #expect(throws: NetlinkError.self) { try view.apply(bytes: shortAddress) }

        // A RTM_NEWLINK whose IFLA_IFNAME is not NUL-terminated.
        let unterminated = netlinkBytes(hex: "28000000 1000 0000 00000000 00000000 00000000 01000000 41000100 00000000 0800 0300 6c6f6f70")!
        #expect(throws: NetlinkError.self) { try view.apply(bytes: unterminated) }

        // A header whose length runs past the buffer.
        let overlong = netlinkBytes(hex: "ffffff7f 1000 0000 00000000 00000000 00000000")!
        #expect(throws: NetlinkError.self) { try view.apply(bytes: overlong) }
        // One that looks negative to libmnl's signed check (found by the corruption test).
        let negative = netlinkBytes(hex: "ffffffff 1000 0000 00000000 00000000 00000000")!
        #expect(throws: NetlinkError.self) { try view.apply(bytes: negative) }

        // An NLMSG_ERROR too short for its errno.
        let shortError = netlinkBytes(hex: "10000000 0200 0000 00000000 00000000")!
        #expect(throws: NetlinkError.self) { try view.apply(bytes: shortError) }
        #expect(view.links.isEmpty && view.addresses.isEmpty)
    }

    @Test func randomlyCorruptedDatagramsNeverCrash() {
        // A fixed-seed xorshift flips bytes of every captured datagram: each result is changes
        // or a NetlinkError (typed throws make anything else impossible), and nothing traps.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state & 0x7fff_ffff)
        }
        var errors = 0, results = 0
        for round in 0..<20 {
            var view = NetworkView()
            _ = view.startNextDump(sequence: 7, portID: CapturedNetlink.portID)
            for (_, hex) in CapturedNetlink.datagrams {
                var datagram = netlinkBytes(hex: hex)!
                for _ in 0...(round % 4) { datagram[next() % datagram.count] = UInt8(truncatingIfNeeded: next()) }
                do { _ = try view.apply(bytes: datagram); results += 1 } catch { errors += 1 }
            }
        }
        #expect(errors + results == 20 * CapturedNetlink.datagrams.count)
    }
}

/// Reproducers the fuzz targets found (fuzz/crashes), kept as unit tests.
@Suite struct NetlinkFuzzFindingsTests {
    /// An NLMSG_ERROR carrying INT32_MIN as its code: negating it trapped (arithmetic overflow).
    @Test func anErrorCodeOfInt32MinDoesNotTrap() throws {
        let datagram: [UInt8] = [0x15, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x26, 0x11, 0,
                                 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x7b]
        // Whatever the verdict on the bytes after the message, no trap; the message itself decodes.
        let decoded = try? datagram.withUnsafeBytes { try RouteMessageDecoder.decode($0) }
        _ = decoded
        var message = datagram
        message.removeLast(datagram.count - 20)
        message[0] = 20
        let one = try message.withUnsafeBytes { try RouteMessageDecoder.decode($0) }
        guard case .error(let code)? = one.first?.1 else { Issue.record("not an error message: \(one)"); return }
        #expect(code == Int32.max)
        #expect(ProbesFuzzEntry.routeMessages(datagram) >= 0)
    }

    /// An address message whose length is not a multiple of 4, last in the datagram: libmnl walked
    /// its attributes up to the rounded-up length, one byte past the datagram (AddressSanitizer).
    /// The decoder pads its copy; the message decodes or is refused, nothing is read outside.
    @Test func anUnalignedLastMessageIsNotReadPastItsEnd() {
        let datagram: [UInt8] = [0x27, 0x00, 0x00, 0x00, 0x14, 0x00, 0x61, 0xa7, 0xff, 0x00, 0x0c, 0x00, 0x88, 0x7b, 0x88, 0x00, 0x02, 0xff, 0x00, 0xff, 0x00, 0x3f, 0xff, 0xff, 0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x7b, 0x88, 0x88, 0x88, 0x88, 0xf3, 0x02, 0x00, 0x00, 0x7b, 0x27, 0x00, 0x00, 0x00, 0x14, 0x00, 0x61, 0xa7, 0xff, 0x00, 0x0c, 0x00, 0x78, 0x84, 0x7e, 0x00, 0x0a, 0xff, 0x00, 0xd9, 0x88, 0xff, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x10]
        _ = try? datagram.withUnsafeBytes { try RouteMessageDecoder.decode($0) }
        #expect(ProbesFuzzEntry.routeMessages(datagram) >= 0)
    }
}
