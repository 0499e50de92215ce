/*
 * bufpool.c — recycled 4 KiB-aligned I/O buffers (no on-disk format).
 *
 * Why: a 1 MiB put or get needs an aligned bounce buffer.  Fresh large
 * allocations are mmap()ed by libc, so every call paid for page faults and
 * the kernel zeroing 256 pages — a quarter of the CPU of a 1 MiB put.  The
 * pool keeps freed buffers for reuse instead.
 *
 * Layout of one buffer: a 4 KiB prefix block holding its capacity (u64),
 * then the capacity bytes the caller sees (4 KiB aligned).  Capacities are
 * powers of two from 64 KiB, so a buffer is reused for any request between
 * half its size and its size.
 *
 * Invariants: pooled bytes <= OIO_BUFPOOL_BYTES_MAX; at most
 * BUFPOOL_SLOTS buffers are kept; buffers of requests larger than the cap
 * are freed on release.  Thread-safe (own mutex, never held across I/O).
 */
#include <stdlib.h>

#include "internal.h"

#define BUFPOOL_CLASS_MIN_BYTES (64u << 10)

static uint64_t class_bytes(uint64_t len) {
    uint64_t c = BUFPOOL_CLASS_MIN_BYTES;
    while (c < len) c <<= 1;
    return c;
}

int bufpool_init(oio_bufpool *p) {
    assert(p != NULL);
    memset(p, 0, sizeof(*p));
    return pthread_mutex_init(&p->mu, NULL) == 0 ? OIO_OK : OIO_NOMEM;
}

void bufpool_destroy(oio_bufpool *p) {
    assert(p != NULL);
    for (uint32_t i = 0; i < p->count; i++) free((uint8_t *)p->bufs[i] - OIO_BLOCK_BYTES);
    p->count = 0;
    pthread_mutex_destroy(&p->mu);
}

void *bufpool_get(oio_bufpool *p, uint64_t len) {
    assert(p != NULL && len > 0);
    uint64_t cap = class_bytes(len);
    pthread_mutex_lock(&p->mu);
    for (uint32_t i = 0; i < p->count; i++) {
        uint8_t *b = p->bufs[i];
        if (get_u64(b - OIO_BLOCK_BYTES) == cap) {
            p->bufs[i] = p->bufs[--p->count];
            p->bytes -= cap;
            pthread_mutex_unlock(&p->mu);
            return b;
        }
    }
    pthread_mutex_unlock(&p->mu);
    void *base = NULL;
    if (posix_memalign(&base, OIO_BLOCK_BYTES, cap + OIO_BLOCK_BYTES) != 0) return NULL;
    put_u64(base, cap);
    return (uint8_t *)base + OIO_BLOCK_BYTES;
}

void bufpool_put(oio_bufpool *p, void *buf) {
    assert(p != NULL);
    if (buf == NULL) return;
    uint8_t *b = buf;
    uint64_t cap = get_u64(b - OIO_BLOCK_BYTES);
    assert(cap >= BUFPOOL_CLASS_MIN_BYTES && (cap & (cap - 1)) == 0);
    pthread_mutex_lock(&p->mu);
    int keep = p->count < BUFPOOL_SLOTS && p->bytes + cap <= OIO_BUFPOOL_BYTES_MAX;
    if (keep) {
        p->bufs[p->count++] = b;
        p->bytes += cap;
    }
    pthread_mutex_unlock(&p->mu);
    if (!keep) free(b - OIO_BLOCK_BYTES);
}
