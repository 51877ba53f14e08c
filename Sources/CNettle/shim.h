// GNU Nettle, for the SHA-1 of stunmesh-go's store key (libsodium has no SHA-1). Nettle is a
// small library (one mapping of ~0.3 MB) where OpenSSL's libcrypto maps ~5 MB at start.
#ifndef CNETTLE_SHIM_H
#define CNETTLE_SHIM_H
#include <nettle/sha1.h>
#endif
