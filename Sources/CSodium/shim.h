// libsodium (NaCl crypto_box, hex and base64 codecs), as Swift sees it.
#ifndef CSODIUM_SHIM_H
#define CSODIUM_SHIM_H
#include <sodium.h>
#endif
