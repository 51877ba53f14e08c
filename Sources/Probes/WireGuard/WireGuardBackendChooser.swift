import SystemCalls

/// Which WireGuard backend to use for an interface (`interfaces.<if>.backend` in the config).
public enum WireGuardBackendChoice: String, Equatable, Sendable, CaseIterable {
    /// Kernel WireGuard when the kernel has the device, else the UAPI socket (the default).
    case auto
    /// Kernel WireGuard over generic netlink only.
    case kernel
    /// The UAPI socket only (wireguard-go, boringtun).
    case userspace
}

/// The `auto` backend: kernel WireGuard if the kernel answers for the interface over generic
/// netlink, else the UAPI socket if it exists. The choice is made at the first call and made
/// again whenever the chosen backend stops knowing the interface, so stunmeshd may start before
/// the interface exists and follows it if it is recreated by the other implementation.
public final class WireGuardBackendChooser: WireGuardBackend {
    /// The interface name, e.g. "wg0".
    public let interface: String
    /// The backend in use, if one has been chosen.
    public private(set) var chosen: WireGuardBackendChoice?
    /// Called with `.kernel` or `.userspace` each time the choice changes (for the log).
    public var onChoice: ((WireGuardBackendChoice) -> Void)?
    private let kernel: WireGuardBackend
    private let userspace: WireGuardBackend
    private let userspaceAvailable: () -> Bool

    /// A chooser between the two given backends; `userspaceAvailable` says whether the UAPI
    /// socket exists.
    public init(interface: String, kernel: WireGuardBackend, userspace: WireGuardBackend,
                userspaceAvailable: @escaping () -> Bool) {
        self.interface = interface
        self.kernel = kernel
        self.userspace = userspace
        self.userspaceAvailable = userspaceAvailable
    }

    /// The backend for `choice`: netlink or UAPI directly when forced, else a chooser.
    public static func backend(interface: String, choice: WireGuardBackendChoice,
                               onChoice: ((WireGuardBackendChoice) -> Void)? = nil) -> WireGuardBackend {
        switch choice {
        case .kernel: return NetlinkWireGuard(interface: interface)
        case .userspace: return UAPIClient(interface: interface)
        case .auto:
            let chooser = WireGuardBackendChooser(interface: interface, kernel: NetlinkWireGuard(interface: interface),
                                                  userspace: UAPIClient(interface: interface),
                                                  userspaceAvailable: { UAPIClient.exists(interface: interface) })
            chooser.onChoice = onChoice
            return chooser
        }
    }

    /// Reads the device from the chosen backend, choosing first when needed.
    public func device() throws(WireGuardError) -> WireGuardDeviceState {
        if let chosen {
            do { return try backend(chosen).device() } catch .noSuchInterface { self.chosen = nil }
        }
        return try choose()
    }

    /// Sets the peer through the chosen backend, choosing first when needed.
    public func setPeer(publicKeyHex: String, endpoint: Endpoint, persistentKeepalive: Int?) throws(WireGuardError) {
        if chosen == nil { _ = try choose() }
        guard let chosen else { throw .noSuchInterface(interface) }
        do {
            try backend(chosen).setPeer(publicKeyHex: publicKeyHex, endpoint: endpoint, persistentKeepalive: persistentKeepalive)
        } catch .noSuchInterface {
            self.chosen = nil
            throw .noSuchInterface(interface)
        }
    }

    /// Sets the keepalive through the chosen backend (choosing first if needed).
    public func setKeepalive(publicKeyHex: String, persistentKeepalive: Int) throws(WireGuardError) {
        if chosen == nil { _ = try choose() }
        guard let chosen else { throw .noSuchInterface(interface) }
        do {
            try backend(chosen).setKeepalive(publicKeyHex: publicKeyHex, persistentKeepalive: persistentKeepalive)
        } catch .noSuchInterface {
            self.chosen = nil
            throw .noSuchInterface(interface)
        }
    }

    /// Kernel first: its answer is the device. If the kernel has no such WireGuard device (or
    /// cannot be asked), the UAPI socket when it exists; else the kernel's error.
    private func choose() throws(WireGuardError) -> WireGuardDeviceState {
        do {
            let device = try kernel.device()
            select(.kernel)
            return device
        } catch {
            guard userspaceAvailable() else { throw error }
            let device = try userspace.device()
            select(.userspace)
            return device
        }
    }

    private func select(_ choice: WireGuardBackendChoice) {
        guard chosen != choice else { return }
        chosen = choice
        onChoice?(choice)
    }

    private func backend(_ choice: WireGuardBackendChoice) -> WireGuardBackend {
        choice == .kernel ? kernel : userspace
    }
}
