// OpenSSL libcrypto, for the SHA-1 of stunmesh-go's store key (libsodium has no SHA-1).
#ifndef COPENSSLCRYPTO_SHIM_H
#define COPENSSLCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
