import CYAML

/// Parses YAML text into a `YAMLNode` tree with libyaml's event API. It exists so the config
/// decoder works on plain Swift values with line numbers and never touches libyaml itself.
public enum YAMLParser {
    /// Deeper nesting than this is refused (the config needs five levels); it bounds the
    /// recursion so hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    /// The single document in `text`, or nil when there is none (empty text, only comments).
    /// Syntax errors carry libyaml's problem text and line; aliases, non-scalar keys and a
    /// second document are errors too.
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError("libyaml could not allocate a parser", line: nil)
        }
        defer { yaml_parser_delete(parser) }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> YAMLNode? in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            let reader = EventReader(parser: parser)
            return try reader.document()
        }
    }
}

/// One libyaml event, copied out of C memory.
private enum Event {
    case streamStart, streamEnd, documentStart(line: Int), documentEnd
    case mappingStart(line: Int), mappingEnd, sequenceStart(line: Int), sequenceEnd
    case scalar(String, quoted: Bool, line: Int)
    case alias(line: Int)
}

/// Pulls events from a libyaml parser and assembles them into nodes.
private struct EventReader {
    let parser: UnsafeMutablePointer<yaml_parser_t>

    /// stream-start, at most one document, stream-end.
    func document() throws(YAMLError) -> YAMLNode? {
        guard case .streamStart = try next() else { throw YAMLError("expected the start of a YAML stream", line: nil) }
        switch try next() {
        case .streamEnd: return nil
        case .documentStart: break
        default: throw YAMLError("expected a YAML document", line: nil)
        }
        let root = try node(try next(), depth: 0)
        guard case .documentEnd = try next() else { throw YAMLError("expected the end of the document", line: nil) }
        switch try next() {
        case .streamEnd: return root
        case .documentStart(let line): throw YAMLError("only one YAML document is allowed", line: line)
        default: throw YAMLError("expected the end of the YAML stream", line: nil)
        }
    }

    /// The node that `first` starts, consuming the events of its children.
    func node(_ first: Event, depth: Int) throws(YAMLError) -> YAMLNode {
        switch first {
        case .scalar(let text, let quoted, let line):
            return YAMLNode(.scalar(text, quoted: quoted), line: line)
        case .alias(let line):
            throw YAMLError("aliases (*name) are not supported", line: line)
        case .mappingStart(let line):
            guard depth < YAMLParser.maximumDepth else { throw YAMLError("nesting is too deep", line: line) }
            var entries: [YAMLNode.Entry] = []
            while true {
                let keyEvent = try next()
                switch keyEvent {
                case .mappingEnd:
                    return YAMLNode(.mapping(entries), line: line)
                case .scalar(let key, _, let keyLine):
                    entries.append(YAMLNode.Entry(key: key, line: keyLine, value: try node(try next(), depth: depth + 1)))
                case .alias(let keyLine):
                    throw YAMLError("aliases (*name) are not supported", line: keyLine)
                case .mappingStart(let keyLine), .sequenceStart(let keyLine):
                    throw YAMLError("mapping keys must be scalars", line: keyLine)
                default:
                    throw YAMLError("unexpected YAML event in a mapping", line: line)
                }
            }
        case .sequenceStart(let line):
            guard depth < YAMLParser.maximumDepth else { throw YAMLError("nesting is too deep", line: line) }
            var items: [YAMLNode] = []
            while true {
                let event = try next()
                if case .sequenceEnd = event { return YAMLNode(.sequence(items), line: line) }
                items.append(try node(event, depth: depth + 1))
            }
        default:
            throw YAMLError("expected a YAML node", line: nil)
        }
    }

    /// The next event, or libyaml's error with its problem, context and line.
    func next() throws(YAMLError) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw error() }
        defer { yaml_event_delete(&event) }
        let line = Int(event.start_mark.line) + 1
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart(line: line)
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_MAPPING_START_EVENT: return .mappingStart(line: line)
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        case YAML_SEQUENCE_START_EVENT: return .sequenceStart(line: line)
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_ALIAS_EVENT: return .alias(line: line)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)),
                              as: UTF8.self)
            return .scalar(text, quoted: scalar.style != YAML_PLAIN_SCALAR_STYLE, line: line)
        default:
            throw YAMLError("unexpected YAML event", line: line)
        }
    }

    /// The parser's current error as a `YAMLError`.
    func error() -> YAMLError {
        let state = parser.pointee
        var message = state.problem.map { String(cString: $0) } ?? "unknown YAML error"
        if let context = state.context { message += " (\(String(cString: context)))" }
        let line = state.error == YAML_READER_ERROR ? nil : Int(state.problem_mark.line) + 1
        return YAMLError(message, line: line)
    }
}
