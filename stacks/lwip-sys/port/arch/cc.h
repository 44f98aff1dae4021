/*
 * lwIP's architecture header for tcpspec: Linux, gcc, little or big endian as the host is.
 * Diagnostics go to standard error (standard output carries the exec protocol).
 */
#ifndef TCPSPEC_ARCH_CC_H
#define TCPSPEC_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>
#include <endian.h>

#define BYTE_ORDER __BYTE_ORDER
#define LWIP_TIMEVAL_PRIVATE 0

void tcpspec_lwip_diag(const char *fmt, ...);

#define LWIP_PLATFORM_DIAG(x) do { tcpspec_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { \
    fprintf(stderr, "lwIP assertion \"%s\" failed at line %d in %s\n", x, __LINE__, __FILE__); \
    abort(); \
} while (0)

#define LWIP_RAND() ((u32_t)random())

#endif
