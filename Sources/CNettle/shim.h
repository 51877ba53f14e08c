// GNU Nettle, for the SHA-1 of stunmesh-go's store key (libsodium has no SHA-1). Linked statically
// (module.modulemap: `link ":libnettle.a"`): the few kB of SHA-1 code instead of a shared library's
// ~0.3 MB of resident pages, or OpenSSL's libcrypto's ~5 MB.
#ifndef CNETTLE_SHIM_H
#define CNETTLE_SHIM_H
#include <nettle/sha1.h>
#endif
