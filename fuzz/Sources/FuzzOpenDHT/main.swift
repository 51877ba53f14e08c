import FuzzDriver
import Probes

// An OpenDHT proxy's answer body (one JSON value per line).
fuzz { bytes in ProbesFuzzEntry.openDHTBody(bytes) }
