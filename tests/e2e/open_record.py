#!/usr/bin/python3 -I
"""Print the plaintext of the record one peer wrote for another in a file store.

  open_record.py STORE_DIR SENDER_PUBLIC_B64 RECEIVER_PRIVATE_B64

The key is hex(sha1(senderPub || receiverPub)); the value is hex(nonce || box) opened with
crypto_box (PyNaCl), as stunmesh-go does. An independent reader for the end-to-end checks.
Exits 1 when there is no record, 2 when it does not open.
"""
import base64
import hashlib
import os
import sys

from nacl.public import Box, PrivateKey, PublicKey


def main():
    store, sender_b64, receiver_b64 = sys.argv[1:4]
    sender = base64.b64decode(sender_b64)
    receiver = PrivateKey(base64.b64decode(receiver_b64))
    key = hashlib.sha1(sender + bytes(receiver.public_key)).hexdigest()
    path = os.path.join(store, key)
    if not os.path.exists(path):
        return 1
    with open(path) as f:
        sealed = bytes.fromhex(f.read().strip())
    try:
        plaintext = Box(receiver, PublicKey(sender)).decrypt(sealed[24:], sealed[:24])
    except Exception as error:  # noqa: BLE001 - any failure to open is one answer
        print("cannot open record: %s" % error, file=sys.stderr)
        return 2
    print(plaintext.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
