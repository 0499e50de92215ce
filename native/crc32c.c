/*
 * crc32c.c — CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * Every checksum in the on-disk format is CRC-32C with the conventional
 * pre- and post-inversion: crc32c("123456789") == 0xE3069283.  The "crc"
 * argument is the value returned by a previous call (0 to start), so a
 * buffer may be checksummed in pieces.
 *
 * Two implementations that must agree bit for bit (tests/native check it):
 *   - hardware: SSE4.2 crc32 instruction, 8 bytes at a time;
 *   - software: one 256-entry table, built once, byte at a time.
 * oio_crc32c() picks the hardware one when the CPU reports SSE4.2.
 *
 * Invariant: oio_block_crc() is the only way a block that stores its own
 * checksum is checksummed — the crc field is taken as zero.
 */
#include <pthread.h>

#include "internal.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_build(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t oio_crc32c_sw(uint32_t crc, const void *buf, size_t len) {
    assert(buf != NULL || len == 0);
    int rc = pthread_once(&crc_table_once, crc_table_build);
    assert(rc == 0);
    (void)rc;
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    for (size_t i = 0; i < len; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t oio_crc32c_hw(uint32_t crc, const void *buf, size_t len) {
    assert(buf != NULL || len == 0);
    const uint8_t *p = buf;
    uint64_t c = (uint32_t)~crc;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        len--;
    }
    return ~c32;
}

int oio_crc32c_hw_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}
#else
uint32_t oio_crc32c_hw(uint32_t crc, const void *buf, size_t len) { return oio_crc32c_sw(crc, buf, len); }
int oio_crc32c_hw_available(void) { return 0; }
#endif

static int hw_state = -1; /* -1 unknown, 0 no, 1 yes; racy init is benign */

uint32_t oio_crc32c(uint32_t crc, const void *buf, size_t len) {
    if (hw_state < 0) hw_state = oio_crc32c_hw_available();
    return hw_state ? oio_crc32c_hw(crc, buf, len) : oio_crc32c_sw(crc, buf, len);
}

uint32_t oio_block_crc(const uint8_t *block, size_t len, size_t crc_off) {
    assert(block != NULL);
    assert(crc_off + 4 <= len);
    static const uint8_t zero4[4] = {0, 0, 0, 0};
    uint32_t c = oio_crc32c(0, block, crc_off);
    c = oio_crc32c(c, zero4, 4);
    return oio_crc32c(c, block + crc_off + 4, len - crc_off - 4);
}
