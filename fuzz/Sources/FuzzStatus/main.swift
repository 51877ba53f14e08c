import FuzzDriver
import Supervisor

// A status file as `stunmeshd status` reads it (whoever wrote it): judged, then rendered.
fuzz { bytes in
    guard let source = text(bytes) else { return 0 }
    switch StatusCommand.judge(source, path: "status.json", now: 1_800_000_000, isAlive: { _ in true }) {
    case .running(let status):
        return StatusText.render(status, now: 1_800_000_000, detail: .all).utf8.count
    case .notRunning(let why):
        return why.utf8.count
    }
}
