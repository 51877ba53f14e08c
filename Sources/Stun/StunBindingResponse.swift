import SystemCalls

/// What a Binding response says: the mapped address, or the server's error. The one question
/// the transport asks of a reply, answered in one place.
public enum StunBindingResponse: Sendable, Equatable {
    /// A success response: the reflexive transport address the server saw.
    case mapped(Endpoint)
    /// An error response with its ERROR-CODE (code 0, empty reason if the server sent none).
    case error(StunErrorCode)

    /// Reads a parsed message; throws `.notAResponse` for anything but a Binding success or
    /// error response, `.noMappedAddress` for a success response without an address.
    public init(_ message: StunMessage) throws(StunParseError) {
        guard message.type.method == StunMessageType.bindingMethod else { throw .notAResponse }
        switch message.type.messageClass {
        case .successResponse:
            guard let mapped = message.mappedAddress else { throw .noMappedAddress }
            self = .mapped(mapped)
        case .errorResponse:
            self = .error(message.errorCode ?? StunErrorCode(code: 0, reason: ""))
        case .request, .indication:
            throw .notAResponse
        }
    }
}
