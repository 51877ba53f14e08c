import EventLoop
@testable import Stun
import SystemCalls

/// A tiny STUN server on 127.0.0.1 (or ::1) for the discovery tests: it records every Binding request
/// and answers as `reply` says (nothing, a success with the sender's address, junk, …).
final class TestStunServer {
    /// What to send back for request number `count` (1-based) from `sender`.
    typealias Reply = (_ request: StunMessage, _ sender: Endpoint, _ count: Int) -> [[UInt8]]

    let socket: LoopbackUDPSocket
    let loop: EventLoop
    var reply: Reply
    private(set) var requests: [(message: StunMessage, from: Endpoint, at: Double)] = []
    private var watcher: IOWatcher?

    init(loop: EventLoop, family: IPFamily = .ipv4, reply: @escaping Reply = TestStunServer.mapSender) throws {
        self.loop = loop
        self.reply = reply
        socket = try LoopbackUDPSocket(family: family)
        let watcher = IOWatcher(loop: loop, fd: socket.fd, events: .read) { [weak self] _ in self?.readable() }
        watcher.start()
        self.watcher = watcher
    }

    deinit { watcher?.stop() }

    var endpoint: Endpoint { socket.endpoint }
    var address: String { endpoint.description }

    private func readable() {
        while let (bytes, sender) = try? socket.receive() {
            guard let message = try? StunMessage(parsing: bytes), message.type == .bindingRequest else { continue }
            requests.append((message, sender, loop.now))
            for answer in reply(message, sender, requests.count) {
                try? socket.send(answer, to: sender)
            }
        }
    }

    /// A Binding success response to `request` with XOR-MAPPED-ADDRESS `mapped`.
    static func success(to request: StunMessage, mapped: Endpoint, transactionID: StunTransactionID? = nil) -> [UInt8] {
        let id = transactionID ?? request.transactionID
        return StunMessage.encode(type: .bindingSuccess, transactionID: id, attributes: [
            StunAttribute(type: StunAttributeType.software, value: Array("test server".utf8)),
            StunAttribute(type: StunAttributeType.xorMappedAddress, value: StunAddressCoding.encode(mapped, xorWith: id)),
        ], fingerprint: true)
    }

    /// A Binding error response with ERROR-CODE `code`.
    static func error(to request: StunMessage, code: Int, reason: String) -> [UInt8] {
        let value: [UInt8] = [0, 0, UInt8(code / 100), UInt8(code % 100)] + Array(reason.utf8)
        return StunMessage.encode(type: .bindingError, transactionID: request.transactionID,
                                  attributes: [StunAttribute(type: StunAttributeType.errorCode, value: value)],
                                  fingerprint: true)
    }

    /// Answers every request with the address it came from.
    static var mapSender: Reply { { request, sender, _ in [success(to: request, mapped: sender)] } }
    /// Never answers.
    static var silent: Reply { { _, _, _ in [] } }
}

/// Runs `loop` until `done()` or `timeout` seconds pass; a safety timer guarantees wake-ups.
/// Returns the seconds it ran.
@discardableResult
func run(_ loop: EventLoop, timeout: Double, until done: () -> Bool) -> Double {
    let safety = TimerWatcher(loop: loop) {}
    safety.start(after: timeout)
    loop.updateNow()
    let start = loop.now
    while !done() && loop.now - start < timeout {
        loop.runOnce()
    }
    safety.stop()
    loop.updateNow()
    return loop.now - start
}
