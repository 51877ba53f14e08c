// zlib, for the CRC-32 of STUN's FINGERPRINT attribute. Linked statically (module.modulemap:
// `link ":libz.a"`): a few hundred bytes of code instead of a shared library mapped at every start.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>
#endif
