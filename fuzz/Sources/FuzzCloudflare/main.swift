import FuzzDriver
import Probes

// An answer of Cloudflare's API: status, header lines, body (ProbesFuzzEntry.cloudflareAnswer).
fuzz { bytes in ProbesFuzzEntry.cloudflareAnswer(bytes) }
