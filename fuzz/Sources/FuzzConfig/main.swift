import FuzzDriver
import Supervisor

// config.yaml as read from disk: libyaml, the tree, the decoder and the key table. Names are not
// resolved (as `stunmeshd check`).
fuzz { bytes in
    guard let yaml = text(bytes) else { return 0 }
    do {
        let config = try ConfigLoader.parse(yaml: yaml, file: "fuzz.yaml", resolve: nil)
        return config.interfaces.count &+ config.warnings.count
    } catch let error as ConfigError {
        return error.all.count
    } catch {
        return -1
    }
}
