/*
 * alloc.c — block allocator for the data region.
 *
 * On-disk format: none.  The B-tree is the extent map: every used block is
 * either a B-tree page or a record extent the tree points to.  At open the
 * bitmap is rebuilt by walking the tree (engine.c), so there is no second
 * structure that could disagree with the index after a crash.
 *
 * In memory: one bit per 4 KiB block of the data region (1 = used), a
 * free-block count, and a next-fit cursor.  An extent is one contiguous
 * run; allocation scans forward from the cursor, wrapping once.
 *
 * Reserve: reserve_blocks (1/64 of the region, at least 64 blocks) may be
 * used only for metadata (B-tree pages).  Data puts fail with OIO_NOSPC
 * before the reserve is touched, so applying an already-logged record can
 * never run out of space for the pages it dirties.
 *
 * Invariants
 *   free_blocks == number of zero bits
 *   a block is released only after the record or page that used it is no
 *   longer reachable from durable state (callers' responsibility:
 *   extents after the WAL record replacing them is flushed, pages after
 *   the checkpoint superblock not pointing at them is flushed).
 */
#include <stdlib.h>

#include "internal.h"

#define RESERVE_FRACTION 64u
#define RESERVE_BLOCKS_MIN 64u

static int bit_get(const oio_alloc *a, uint64_t i) { return (int)((a->bits[i / 64] >> (i % 64)) & 1); }
static void bit_set(oio_alloc *a, uint64_t i) { a->bits[i / 64] |= 1ull << (i % 64); }
static void bit_clr(oio_alloc *a, uint64_t i) { a->bits[i / 64] &= ~(1ull << (i % 64)); }

int alloc_init(oio_alloc *a, uint64_t first_blk, uint64_t nblocks) {
    assert(a != NULL && nblocks > 0 && first_blk > 0);
    memset(a, 0, sizeof(*a));
    a->bits = calloc(oio_div_up(nblocks, 64), sizeof(uint64_t));
    if (a->bits == NULL) return OIO_NOMEM;
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a->bits);
        return OIO_NOMEM;
    }
    a->first_blk = first_blk;
    a->nblocks = nblocks;
    a->free_blocks = nblocks;
    a->reserve_blocks = nblocks / RESERVE_FRACTION;
    if (a->reserve_blocks < RESERVE_BLOCKS_MIN) a->reserve_blocks = RESERVE_BLOCKS_MIN;
    if (a->reserve_blocks > nblocks / 4) a->reserve_blocks = nblocks / 4;
    return OIO_OK;
}

void alloc_destroy(oio_alloc *a) {
    assert(a != NULL);
    free(a->bits);
    a->bits = NULL;
    pthread_mutex_destroy(&a->mu);
}

void alloc_clear(oio_alloc *a) {
    assert(a != NULL && a->bits != NULL);
    memset(a->bits, 0, oio_div_up(a->nblocks, 64) * sizeof(uint64_t));
    a->free_blocks = a->nblocks;
    a->cursor = 0;
}

int alloc_contains(const oio_alloc *a, uint64_t blk, uint64_t n) {
    return n > 0 && blk >= a->first_blk && blk - a->first_blk <= a->nblocks &&
           n <= a->nblocks - (blk - a->first_blk);
}

/* First index >= from (and < nblocks) starting a run of n free bits, or nblocks. */
static uint64_t find_run(const oio_alloc *a, uint64_t from, uint64_t n) {
    uint64_t run = 0;
    for (uint64_t i = from; i < a->nblocks; i++) {
        if (run == 0 && i % 64 == 0 && a->bits[i / 64] == ~0ull && i + 64 <= a->nblocks) {
            i += 63; /* skip a full word */
            continue;
        }
        run = bit_get(a, i) ? 0 : run + 1;
        if (run == n) return i + 1 - n;
    }
    return a->nblocks;
}

int alloc_take(oio_alloc *a, uint64_t n, int for_metadata, uint64_t *blk_out) {
    assert(a != NULL && blk_out != NULL && n > 0);
    pthread_mutex_lock(&a->mu);
    uint64_t keep = for_metadata ? 0 : a->reserve_blocks;
    int rc = OIO_NOSPC;
    if (a->free_blocks >= n + keep) {
        uint64_t at = find_run(a, a->cursor, n);
        if (at == a->nblocks) at = find_run(a, 0, n);
        if (at < a->nblocks) {
            for (uint64_t i = at; i < at + n; i++) {
                assert(!bit_get(a, i));
                bit_set(a, i);
            }
            a->free_blocks -= n;
            a->cursor = at + n;
            *blk_out = a->first_blk + at;
            rc = OIO_OK;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

void alloc_mark(oio_alloc *a, uint64_t blk, uint64_t n) {
    assert(a != NULL && alloc_contains(a, blk, n));
    pthread_mutex_lock(&a->mu);
    for (uint64_t i = blk - a->first_blk; i < blk - a->first_blk + n; i++) {
        if (!bit_get(a, i)) {
            bit_set(a, i);
            a->free_blocks--;
        }
    }
    pthread_mutex_unlock(&a->mu);
}

void alloc_release(oio_alloc *a, uint64_t blk, uint64_t n) {
    assert(a != NULL && alloc_contains(a, blk, n));
    pthread_mutex_lock(&a->mu);
    for (uint64_t i = blk - a->first_blk; i < blk - a->first_blk + n; i++) {
        assert(bit_get(a, i));
        bit_clr(a, i);
        a->free_blocks++;
    }
    pthread_mutex_unlock(&a->mu);
}
