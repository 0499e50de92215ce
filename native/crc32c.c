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
 * Combining: crc32c(A||B) = Z(len B) * crc32c(A) ^ crc32c(B), where Z(n) is
 * the GF(2) 32x32 matrix that appends n zero bytes to a CRC state.  Z(n)
 * is built by repeated squaring of the one-zero-bit operator; Z(64 KiB) is
 * built once, so a record's whole-data crc costs one pass over the data
 * (the per-chunk crcs) plus one matrix-vector product per chunk.
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
/* Three independent lanes hide the crc32 instruction's latency: a block of
 * 3 x LANE_BYTES is checksummed as three streams, then joined with the
 * zero-append operators Z(LANE) and Z(2 LANE) (byte-sliced into tables). */
#define LANE_BYTES 1024u
static uint32_t lane_op[2][4][256]; /* [0] = Z(LANE), [1] = Z(2 LANE) */
static pthread_once_t lane_op_once = PTHREAD_ONCE_INIT;
static void zeros_operator(uint32_t *out, uint64_t len_bytes);
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec);

static void lane_op_build(void) {
    uint32_t z[32];
    for (int w = 0; w < 2; w++) {
        zeros_operator(z, (uint64_t)LANE_BYTES * (uint64_t)(w + 1));
        for (int k = 0; k < 4; k++)
            for (uint32_t v = 0; v < 256; v++) lane_op[w][k][v] = gf2_times(z, v << (8 * k));
    }
}

static inline uint32_t lane_apply(const uint32_t t[4][256], uint32_t v) {
    return t[0][v & 0xFF] ^ t[1][(v >> 8) & 0xFF] ^ t[2][(v >> 16) & 0xFF] ^ t[3][v >> 24];
}

__attribute__((target("sse4.2"))) uint32_t oio_crc32c_hw(uint32_t crc, const void *buf, size_t len) {
    assert(buf != NULL || len == 0);
    const uint8_t *p = buf;
    uint64_t c = (uint32_t)~crc;
    if (len >= 3 * LANE_BYTES) {
        int rc = pthread_once(&lane_op_once, lane_op_build);
        assert(rc == 0);
        (void)rc;
    }
    while (len >= 3 * LANE_BYTES) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < LANE_BYTES; i += 8) {
            uint64_t v0, v1, v2;
            memcpy(&v0, p + i, 8);
            memcpy(&v1, p + LANE_BYTES + i, 8);
            memcpy(&v2, p + 2 * LANE_BYTES + i, 8);
            c = __builtin_ia32_crc32di(c, v0);
            c1 = __builtin_ia32_crc32di(c1, v1);
            c2 = __builtin_ia32_crc32di(c2, v2);
        }
        c = lane_apply(lane_op[1], (uint32_t)c) ^ lane_apply(lane_op[0], (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * LANE_BYTES;
        len -= 3 * LANE_BYTES;
    }
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

/* ---- combining --------------------------------------------------------- */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    for (int i = 0; vec != 0; i++, vec >>= 1)
        if (vec & 1) sum ^= mat[i];
    return sum;
}

static void gf2_square(uint32_t *out, const uint32_t *mat) {
    for (int i = 0; i < 32; i++) out[i] = gf2_times(mat, mat[i]);
}

/* out := Z(len_bytes), the operator appending len_bytes zero bytes. */
static void zeros_operator(uint32_t *out, uint64_t len_bytes) {
    uint32_t op[32], sq[32];
    op[0] = CRC32C_POLY_REFLECTED; /* one zero bit */
    for (int i = 1; i < 32; i++) op[i] = 1u << (i - 1);
    for (int i = 0; i < 3; i++) { /* 1 -> 8 zero bits: square three times */
        gf2_square(sq, op);
        memcpy(op, sq, sizeof(op));
    }
    for (int i = 0; i < 32; i++) out[i] = 1u << i; /* identity */
    while (len_bytes > 0) {
        if (len_bytes & 1) {
            uint32_t r[32];
            for (int i = 0; i < 32; i++) r[i] = gf2_times(op, out[i]);
            memcpy(out, r, sizeof(r));
        }
        len_bytes >>= 1;
        if (len_bytes > 0) {
            gf2_square(sq, op);
            memcpy(op, sq, sizeof(op));
        }
    }
}

uint32_t oio_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
    if (len_b == 0) return crc_a;
    uint32_t z[32];
    zeros_operator(z, len_b);
    return gf2_times(z, crc_a) ^ crc_b;
}

static uint32_t chunk_operator[32];
static pthread_once_t chunk_operator_once = PTHREAD_ONCE_INIT;
static void chunk_operator_build(void) { zeros_operator(chunk_operator, OIO_CHUNK_BYTES); }

uint32_t oio_crc32c_combine_chunk(uint32_t crc_a, uint32_t crc_b) {
    int rc = pthread_once(&chunk_operator_once, chunk_operator_build);
    assert(rc == 0);
    (void)rc;
    return gf2_times(chunk_operator, crc_a) ^ crc_b;
}

uint32_t oio_block_crc(const uint8_t *block, size_t len, size_t crc_off) {
    assert(block != NULL);
    assert(crc_off + 4 <= len);
    static const uint8_t zero4[4] = {0, 0, 0, 0};
    uint32_t c = oio_crc32c(0, block, crc_off);
    c = oio_crc32c(c, zero4, 4);
    return oio_crc32c(c, block + crc_off + 4, len - crc_off - 4);
}
