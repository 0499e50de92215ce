/*
 * hmap.c — u64 -> pointer hash map (in memory only, no on-disk format).
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones).  Key 0 marks an empty slot, so 0 is not a valid key; the
 * engine keys by device block number and block 0 is a superblock.
 * Invariants: cap is a power of two; count <= cap / 2 (grown before).
 * Not thread-safe: every map is owned by a structure with its own lock.
 */
#include <stdlib.h>

#include "internal.h"

static uint64_t slot_of(const oio_hmap *m, uint64_t key) {
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    return (h ^ (h >> 29)) & (m->cap - 1);
}

int hmap_init(oio_hmap *m, uint64_t cap) {
    assert(m != NULL && cap >= 8 && (cap & (cap - 1)) == 0);
    m->keys = calloc(cap, sizeof(uint64_t));
    m->vals = calloc(cap, sizeof(void *));
    if (m->keys == NULL || m->vals == NULL) {
        free(m->keys);
        free(m->vals);
        return OIO_NOMEM;
    }
    m->cap = cap;
    m->count = 0;
    return OIO_OK;
}

void hmap_destroy(oio_hmap *m) {
    assert(m != NULL);
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->count = 0;
}

void *hmap_get(const oio_hmap *m, uint64_t key) {
    assert(m != NULL && key != 0);
    for (uint64_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return m->vals[i];
        if (m->keys[i] == 0) return NULL;
    }
}

static int hmap_grow(oio_hmap *m) {
    oio_hmap bigger;
    int rc = hmap_init(&bigger, m->cap * 2);
    if (rc != OIO_OK) return rc;
    for (uint64_t i = 0; i < m->cap; i++)
        if (m->keys[i] != 0) {
            rc = hmap_put(&bigger, m->keys[i], m->vals[i]);
            assert(rc == OIO_OK);
        }
    hmap_destroy(m);
    *m = bigger;
    return OIO_OK;
}

int hmap_put(oio_hmap *m, uint64_t key, void *val) {
    assert(m != NULL && key != 0 && val != NULL);
    if ((m->count + 1) * 2 > m->cap) {
        int rc = hmap_grow(m);
        if (rc != OIO_OK) return rc;
    }
    for (uint64_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return OIO_OK;
        }
        if (m->keys[i] == 0) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->count++;
            return OIO_OK;
        }
    }
}

void *hmap_del(oio_hmap *m, uint64_t key) {
    assert(m != NULL && key != 0);
    uint64_t mask = m->cap - 1;
    uint64_t i = slot_of(m, key);
    while (m->keys[i] != key) {
        if (m->keys[i] == 0) return NULL;
        i = (i + 1) & mask;
    }
    void *val = m->vals[i];
    /* backward shift: pull later members of the probe run into the hole */
    uint64_t hole = i;
    for (uint64_t j = (i + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
        uint64_t home = slot_of(m, m->keys[j]);
        int movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            m->keys[hole] = m->keys[j];
            m->vals[hole] = m->vals[j];
            hole = j;
        }
    }
    m->keys[hole] = 0;
    m->vals[hole] = NULL;
    m->count--;
    return val;
}
