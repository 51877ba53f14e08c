import FuzzDriver
import Probes

// What an exec or shell store plugin prints on stdout.
fuzz { bytes in ProbesFuzzEntry.pluginOutput(bytes) }
