// libmnl (rtnetlink events, WireGuard generic netlink), as Swift sees it.
#ifndef CLIBMNL_SHIM_H
#define CLIBMNL_SHIM_H
// glibc's declarations (sys/socket.h, …) come from Swift's Glibc module instead of a second
// textual copy: with two copies, a Swift file that imports only Glibc can lose names such as
// SOCK_DGRAM once a file of the same module that imports CLibMNL has used them.
#pragma clang module import SwiftGlibc
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/wireguard.h>
#endif
