// zlib, for the CRC-32 of STUN's FINGERPRINT attribute.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>
#endif
