/*
 * btree.c — copy-on-write B-tree of 4 KiB pages: shard key -> record.
 *
 * Page (4 KiB, little-endian)
 *   off  size  field
 *   0    4     magic "OIBP"
 *   4    4     crc32c of the page with this field as zero
 *   8    8     self_blk: device block number the page was written to
 *   16   8     ckpt_seq of the checkpoint that wrote it
 *   24   2     level (0 = leaf)
 *   26   2     count: number of entries
 *   28   2     used: bytes of entry area in use
 *   30   2     version (1)
 *   32   ...   entries, packed, sorted by key (bytewise, shorter first)
 *
 * Leaf entry:     key_len u16 | key | extent_blk u64 | length u32 |
 *                 data_crc u32 | hdr_crc u32 | flags u32 | generation u64 |
 *                 meta_len u16 | 6 zero bytes                 (40 B value)
 * Internal entry: key_len u16 | key | child_blk u64 | child_crc u32
 *                 Entry i holds keys >= key_i and < key_{i+1}; the key of
 *                 entry 0 is ignored (minus infinity).
 *
 * Validity: a page read from disk must have the right magic, version,
 * self_blk and level, entries that parse within `used`, and a crc32c that
 * equals BOTH its own crc field and the child_crc its parent holds (the
 * superblock's root_crc for the root).  The copy one level up catches a
 * lost or misdirected page write that a self-checksum alone would accept.
 *
 * Copy-on-write: a page of the durable tree is never overwritten.  The
 * first change after a checkpoint copies it to a newly allocated block
 * (a "dirty" page, kept in memory) and repoints the parent, which is made
 * dirty first, up to the root.  The replaced block goes on pending_free.
 * A checkpoint writes every dirty page bottom-up (children first, so each
 * parent records its children's final crc), then the caller flushes and
 * writes the superblock naming the new root; only after that superblock
 * is durable are pending_free blocks released.  The last durable tree is
 * thus always intact on disk, and the WAL replays everything after it.
 *
 * Structure: leaves split when an insert does not fit (half the bytes
 * move right, the right page's first key becomes the separator); a leaf
 * or internal page that becomes empty is removed from its parent; a root
 * with one child is replaced by the child.  Underfull pages are not
 * merged (documented limit; space stays bounded by live entries + splits).
 *
 * Locking: every function here runs under the engine's index_mu.
 */
#include <stdlib.h>

#include "internal.h"

#define PG_MAGIC 0x5042494Fu /* "OIBP" */
#define PG_VERSION 1u
#define PG_HDR 32u
#define PG_SPACE (OIO_BLOCK_BYTES - PG_HDR)
#define LEAF_VAL 40u
#define NODE_VAL 12u
#define PG_ENTRIES_MAX 300u
#define PENDING_CAP_MIN 256u

static uint32_t pg_level(const uint8_t *pg) { return get_u16(pg + 24); }
static uint32_t pg_count(const uint8_t *pg) { return get_u16(pg + 26); }
static uint32_t pg_used(const uint8_t *pg) { return get_u16(pg + 28); }
static uint32_t pg_val(const uint8_t *pg) { return pg_level(pg) == 0 ? LEAF_VAL : NODE_VAL; }

static int key_cmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    return c != 0 ? c : (al < bl ? -1 : al > bl ? 1 : 0);
}

/* Entry offsets; returns count, or -1 when the entries do not parse. */
static int pg_offsets(const uint8_t *pg, uint16_t *offs) {
    uint32_t n = pg_count(pg), used = pg_used(pg), off = PG_HDR, val = pg_val(pg);
    if (n > PG_ENTRIES_MAX || used > PG_SPACE) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (off + 2 > PG_HDR + used) return -1;
        uint32_t kl = get_u16(pg + off);
        if (kl > OIO_KEY_BYTES_MAX || off + 2 + kl + val > PG_HDR + used) return -1;
        offs[i] = (uint16_t)off;
        off += 2 + kl + val;
    }
    return off == PG_HDR + used ? (int)n : -1;
}

static const uint8_t *ent_key(const uint8_t *pg, uint16_t off, uint32_t *kl) {
    *kl = get_u16(pg + off);
    return pg + off + 2;
}
static uint8_t *ent_val(uint8_t *pg, uint16_t off) { return pg + off + 2 + get_u16(pg + off); }
static const uint8_t *ent_cval(const uint8_t *pg, uint16_t off) { return pg + off + 2 + get_u16(pg + off); }

static void leafval_put(uint8_t *p, const oio_leafval *v) {
    memset(p, 0, LEAF_VAL);
    put_u64(p, v->extent_blk);
    put_u32(p + 8, v->length);
    put_u32(p + 12, v->data_crc);
    put_u32(p + 16, v->hdr_crc);
    put_u32(p + 20, v->flags);
    put_u64(p + 24, v->generation);
    put_u16(p + 32, v->meta_len);
}

static void leafval_get(const uint8_t *p, oio_leafval *v) {
    v->extent_blk = get_u64(p);
    v->length = get_u32(p + 8);
    v->data_crc = get_u32(p + 12);
    v->hdr_crc = get_u32(p + 16);
    v->flags = get_u32(p + 20);
    v->generation = get_u64(p + 24);
    v->meta_len = get_u16(p + 32);
}

/* Leaf: first index with key >= k (*exact set on equality). */
static uint32_t leaf_search(const uint8_t *pg, const uint16_t *offs, uint32_t n, const uint8_t *k,
                            uint32_t kl, int *exact) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2, ml;
        const uint8_t *mk = ent_key(pg, offs[mid], &ml);
        if (key_cmp(mk, ml, k, kl) < 0) lo = mid + 1; else hi = mid;
    }
    *exact = 0;
    if (lo < n) {
        uint32_t el = 0;
        const uint8_t *ek = ent_key(pg, offs[lo], &el);
        *exact = key_cmp(ek, el, k, kl) == 0;
    }
    return lo;
}

/* Internal: index of the child whose range holds k. */
static uint32_t node_search(const uint8_t *pg, const uint16_t *offs, uint32_t n, const uint8_t *k, uint32_t kl) {
    assert(n > 0);
    uint32_t lo = 1, hi = n; /* first index >= 1 with key > k */
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2, ml;
        const uint8_t *mk = ent_key(pg, offs[mid], &ml);
        if (key_cmp(mk, ml, k, kl) <= 0) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
}

static void page_init(uint8_t *pg, uint64_t blk, uint32_t level) {
    memset(pg, 0, OIO_BLOCK_BYTES);
    put_u32(pg, PG_MAGIC);
    put_u64(pg + 8, blk);
    put_u16(pg + 24, (uint16_t)level);
    put_u16(pg + 30, PG_VERSION);
}

static int page_valid(const uint8_t *pg, uint64_t blk, uint32_t level, uint32_t expect_crc) {
    uint16_t offs[PG_ENTRIES_MAX];
    uint32_t crc = oio_block_crc(pg, OIO_BLOCK_BYTES, 4);
    return get_u32(pg) == PG_MAGIC && get_u32(pg + 4) == crc && crc == expect_crc &&
           get_u64(pg + 8) == blk && pg_level(pg) == level && get_u16(pg + 30) == PG_VERSION &&
           pg_offsets(pg, offs) >= 0;
}

/* Copy page blk (at level, expected crc) into buf (4 KiB aligned).  With
 * cache_only, a page that is neither dirty nor in the cache (or whose cached
 * copy is not valid) is OIO_MISS instead of a device read. */
static int page_read(oio_btree *bt, uint64_t blk, uint32_t level, uint32_t expect_crc, uint8_t *buf,
                     int cache_only) {
    assert(blk != 0 && ((uintptr_t)buf % OIO_BLOCK_BYTES) == 0);
    const uint8_t *d = hmap_get(&bt->dirty, blk);
    if (d != NULL) {
        memcpy(buf, d, OIO_BLOCK_BYTES);
        return OIO_OK;
    }
    uint32_t len = 0;
    /* cache-only: a tree walk the regular read may repeat is not counted */
    int hit = cache_only ? arc_get_quiet(bt->arc, blk, buf, OIO_BLOCK_BYTES, &len, 0)
                         : arc_get(bt->arc, blk, buf, OIO_BLOCK_BYTES, &len);
    if (hit && len == OIO_BLOCK_BYTES &&
        page_valid(buf, blk, level, expect_crc))
        return OIO_OK;
    if (cache_only) return OIO_MISS;
    int rc = bt->io->pread(bt->io, buf, OIO_BLOCK_BYTES, blk * OIO_BLOCK_BYTES);
    if (rc != OIO_OK) return rc;
    if (!page_valid(buf, blk, level, expect_crc)) return OIO_CORRUPT;
    arc_put(bt->arc, blk, buf, OIO_BLOCK_BYTES);
    return OIO_OK;
}

static int pending_push(oio_btree *bt, uint64_t blk) {
    if (bt->pending_count == bt->pending_cap) {
        uint64_t cap = bt->pending_cap ? bt->pending_cap * 2 : PENDING_CAP_MIN;
        uint64_t *n = realloc(bt->pending_free, cap * sizeof(uint64_t));
        if (n == NULL) return OIO_NOMEM;
        bt->pending_free = n;
        bt->pending_cap = cap;
    }
    bt->pending_free[bt->pending_count++] = blk;
    return OIO_OK;
}

int bt_pending_free_reserve(oio_btree *bt) {
    /* Make room so pending_push cannot fail for one operation's path. */
    if (bt->pending_cap - bt->pending_count >= 2 * OIO_TREE_HEIGHT_MAX + 2) return OIO_OK;
    uint64_t cap = bt->pending_cap * 2 + 4 * OIO_TREE_HEIGHT_MAX + PENDING_CAP_MIN;
    uint64_t *n = realloc(bt->pending_free, cap * sizeof(uint64_t));
    if (n == NULL) return OIO_NOMEM;
    bt->pending_free = n;
    bt->pending_cap = cap;
    return OIO_OK;
}

/* A fresh dirty page at a newly allocated block. */
static int page_new(oio_btree *bt, uint32_t level, uint64_t *blk_out, uint8_t **pg_out) {
    uint8_t *pg = oio_buf_alloc(OIO_BLOCK_BYTES);
    if (pg == NULL) return OIO_NOMEM;
    uint64_t blk = 0;
    int rc = alloc_take(bt->alloc, 1, 1, &blk);
    if (rc == OIO_OK) rc = hmap_put(&bt->dirty, blk, pg);
    if (rc != OIO_OK) {
        if (blk != 0) alloc_release(bt->alloc, blk, 1);
        oio_buf_free(pg);
        return rc;
    }
    page_init(pg, blk, level);
    bt->page_count++;
    *blk_out = blk;
    *pg_out = pg;
    return OIO_OK;
}

/* Drop a page from the tree: its block is freed after the next checkpoint. */
static void page_discard(oio_btree *bt, uint64_t blk) {
    uint8_t *pg = hmap_del(&bt->dirty, blk);
    oio_buf_free(pg);
    arc_drop(bt->arc, blk);
    int rc = pending_push(bt, blk);
    assert(rc == OIO_OK); /* room reserved by bt_pending_free_reserve */
    (void)rc;
    assert(bt->page_count > 0);
    bt->page_count--;
}

/* Writable copy of page *blk; *blk changes when the page had to be copied. */
static int page_dirty(oio_btree *bt, uint64_t *blk, uint32_t level, uint32_t expect_crc, uint8_t **pg_out) {
    uint8_t *pg = hmap_get(&bt->dirty, *blk);
    if (pg != NULL) {
        *pg_out = pg;
        return OIO_OK;
    }
    uint8_t *copy = oio_buf_alloc(OIO_BLOCK_BYTES);
    if (copy == NULL) return OIO_NOMEM;
    uint64_t nblk = 0;
    int rc = page_read(bt, *blk, level, expect_crc, copy, 0);
    if (rc == OIO_OK) rc = alloc_take(bt->alloc, 1, 1, &nblk);
    if (rc == OIO_OK && (rc = hmap_put(&bt->dirty, nblk, copy)) != OIO_OK) alloc_release(bt->alloc, nblk, 1);
    if (rc != OIO_OK) {
        oio_buf_free(copy);
        return rc;
    }
    put_u64(copy + 8, nblk);
    arc_drop(bt->arc, *blk);
    rc = pending_push(bt, *blk);
    assert(rc == OIO_OK);
    *blk = nblk;
    *pg_out = copy;
    return OIO_OK;
}

static int pg_fits(const uint8_t *pg, uint32_t size) {
    return pg_used(pg) + size <= PG_SPACE && pg_count(pg) < PG_ENTRIES_MAX;
}

static void pg_insert(uint8_t *pg, uint32_t pos, const uint8_t *key, uint32_t kl, const uint8_t *val,
                      uint32_t vl) {
    uint16_t offs[PG_ENTRIES_MAX];
    int n = pg_offsets(pg, offs);
    uint32_t size = 2 + kl + vl, used = pg_used(pg);
    assert(n >= 0 && pos <= (uint32_t)n && pg_fits(pg, size) && vl == pg_val(pg));
    uint32_t at = pos < (uint32_t)n ? offs[pos] : PG_HDR + used;
    memmove(pg + at + size, pg + at, PG_HDR + used - at);
    put_u16(pg + at, (uint16_t)kl);
    memcpy(pg + at + 2, key, kl);
    memcpy(pg + at + 2 + kl, val, vl);
    put_u16(pg + 26, (uint16_t)(n + 1));
    put_u16(pg + 28, (uint16_t)(used + size));
}

static void pg_remove(uint8_t *pg, uint32_t pos) {
    uint16_t offs[PG_ENTRIES_MAX];
    int n = pg_offsets(pg, offs);
    assert(n > 0 && pos < (uint32_t)n);
    uint32_t used = pg_used(pg), at = offs[pos];
    uint32_t end = pos + 1 < (uint32_t)n ? offs[pos + 1] : PG_HDR + used, size = end - at;
    memmove(pg + at, pg + end, PG_HDR + used - end);
    memset(pg + PG_HDR + used - size, 0, size);
    put_u16(pg + 26, (uint16_t)(n - 1));
    put_u16(pg + 28, (uint16_t)(used - size));
}

/* Insert at pos into dirty page pg, splitting it when full.  On split *rblk
 * names the new right sibling and sep/sep_len its first key. */
static int insert_at(oio_btree *bt, uint8_t *pg, uint32_t pos, const uint8_t *key, uint32_t kl,
                     const uint8_t *val, uint32_t vl, uint64_t *rblk, uint8_t *sep, uint32_t *sep_len) {
    *rblk = 0;
    if (pg_fits(pg, 2 + kl + vl)) {
        pg_insert(pg, pos, key, kl, val, vl);
        return OIO_OK;
    }
    uint16_t offs[PG_ENTRIES_MAX];
    int n = pg_offsets(pg, offs);
    assert(n >= 2);
    uint8_t *r = NULL;
    int rc = page_new(bt, pg_level(pg), rblk, &r);
    if (rc != OIO_OK) return rc;
    uint32_t used = pg_used(pg), m = 1;
    while (m < (uint32_t)n - 1 && offs[m] - PG_HDR < used / 2) m++;
    uint32_t moved = PG_HDR + used - offs[m];
    memcpy(r + PG_HDR, pg + offs[m], moved);
    put_u16(r + 26, (uint16_t)(n - m));
    put_u16(r + 28, (uint16_t)moved);
    memset(pg + offs[m], 0, moved);
    put_u16(pg + 26, (uint16_t)m);
    put_u16(pg + 28, (uint16_t)(used - moved));
    if (pos <= m) pg_insert(pg, pos, key, kl, val, vl);
    else pg_insert(r, pos - m, key, kl, val, vl);
    uint32_t sl = 0;
    const uint8_t *sk = ent_key(r, PG_HDR, &sl);
    memcpy(sep, sk, sl);
    *sep_len = sl;
    return OIO_OK;
}

int bt_init(oio_btree *bt, oio_io *io, oio_arc *arc, oio_alloc *alloc) {
    assert(bt != NULL && io != NULL && arc != NULL && alloc != NULL);
    memset(bt, 0, sizeof(*bt));
    bt->io = io;
    bt->arc = arc;
    bt->alloc = alloc;
    return hmap_init(&bt->dirty, 64);
}

void bt_destroy(oio_btree *bt) {
    assert(bt != NULL);
    for (uint64_t i = 0; i < bt->dirty.cap; i++)
        if (bt->dirty.keys[i] != 0) oio_buf_free(bt->dirty.vals[i]);
    hmap_destroy(&bt->dirty);
    free(bt->pending_free);
    bt->pending_free = NULL;
}

static int lookup_path(oio_btree *bt, const uint8_t *key, uint32_t kl, oio_leafval *out, int cache_only) {
    assert(bt != NULL && key != NULL && kl > 0 && kl <= OIO_KEY_BYTES_MAX && out != NULL);
    if (bt->height == 0) return OIO_NOT_FOUND;
    _Alignas(OIO_BLOCK_BYTES) uint8_t buf[OIO_BLOCK_BYTES];
    uint16_t offs[PG_ENTRIES_MAX];
    uint64_t blk = bt->root_blk;
    uint32_t crc = bt->root_crc;
    for (uint32_t level = bt->height - 1;; level--) {
        int rc = page_read(bt, blk, level, crc, buf, cache_only);
        if (rc != OIO_OK) return rc;
        int n = pg_offsets(buf, offs);
        assert(n >= 0);
        if (level == 0) {
            int exact = 0;
            uint32_t pos = leaf_search(buf, offs, (uint32_t)n, key, kl, &exact);
            if (!exact) return OIO_NOT_FOUND;
            leafval_get(ent_cval(buf, offs[pos]), out);
            return OIO_OK;
        }
        const uint8_t *v = ent_cval(buf, offs[node_search(buf, offs, (uint32_t)n, key, kl)]);
        blk = get_u64(v);
        crc = get_u32(v + 8);
    }
}

int bt_lookup(oio_btree *bt, const uint8_t *key, uint32_t kl, oio_leafval *out) {
    return lookup_path(bt, key, kl, out, 0);
}

int bt_lookup_cached(oio_btree *bt, const uint8_t *key, uint32_t kl, oio_leafval *out) {
    return lookup_path(bt, key, kl, out, 1);
}

typedef struct bt_path {
    uint8_t *pg[OIO_TREE_HEIGHT_MAX];
    uint64_t blk[OIO_TREE_HEIGHT_MAX];
    uint32_t idx[OIO_TREE_HEIGHT_MAX];
    uint32_t depth; /* index of the leaf in the arrays */
} bt_path;

/* Make the root-to-leaf path for key writable (copying pages as needed). */
static int path_dirty(oio_btree *bt, const uint8_t *key, uint32_t kl, bt_path *p) {
    assert(bt->height > 0 && bt->height <= OIO_TREE_HEIGHT_MAX);
    if (bt->alloc->free_blocks < 2ull * bt->height + 4) return OIO_NOSPC;
    int rc = bt_pending_free_reserve(bt);
    if (rc != OIO_OK) return rc;
    uint64_t blk = bt->root_blk;
    uint8_t *pg = NULL;
    rc = page_dirty(bt, &blk, bt->height - 1, bt->root_crc, &pg);
    if (rc != OIO_OK) return rc;
    bt->root_blk = blk;
    uint32_t d = 0;
    for (uint32_t level = bt->height - 1; level > 0; level--, d++) {
        uint16_t offs[PG_ENTRIES_MAX];
        int n = pg_offsets(pg, offs);
        assert(n > 0);
        p->pg[d] = pg;
        p->blk[d] = blk;
        p->idx[d] = node_search(pg, offs, (uint32_t)n, key, kl);
        uint8_t *v = ent_val(pg, offs[p->idx[d]]);
        uint64_t child = get_u64(v);
        rc = page_dirty(bt, &child, level - 1, get_u32(v + 8), &pg);
        if (rc != OIO_OK) return rc;
        put_u64(v, child);
        blk = child;
    }
    p->pg[d] = pg;
    p->blk[d] = blk;
    p->depth = d;
    return OIO_OK;
}

/* Carry a split of path level d upward (new root when d is the root). */
static int split_up(oio_btree *bt, bt_path *p, uint32_t d, uint64_t rblk, uint8_t *sep, uint32_t sep_len) {
    uint8_t sep2[OIO_KEY_BYTES_MAX];
    uint8_t nv[NODE_VAL];
    while (rblk != 0) {
        memset(nv, 0, sizeof(nv));
        put_u64(nv, rblk);
        if (d == 0) {
            if (bt->height >= OIO_TREE_HEIGHT_MAX) return OIO_TOO_BIG;
            uint64_t nrblk = 0;
            uint8_t *nr = NULL;
            int rc = page_new(bt, bt->height, &nrblk, &nr);
            if (rc != OIO_OK) return rc;
            uint8_t lv[NODE_VAL] = {0};
            put_u64(lv, p->blk[0]);
            pg_insert(nr, 0, sep, 0, lv, NODE_VAL);
            pg_insert(nr, 1, sep, sep_len, nv, NODE_VAL);
            bt->root_blk = nrblk;
            bt->height++;
            return OIO_OK;
        }
        d--;
        uint32_t l2 = 0;
        int rc = insert_at(bt, p->pg[d], p->idx[d] + 1, sep, sep_len, nv, NODE_VAL, &rblk, sep2, &l2);
        if (rc != OIO_OK) return rc;
        memcpy(sep, sep2, l2);
        sep_len = l2;
    }
    return OIO_OK;
}

int bt_upsert(oio_btree *bt, const uint8_t *key, uint32_t kl, const oio_leafval *v, oio_leafval *old,
              int *had_old) {
    assert(bt != NULL && key != NULL && kl > 0 && kl <= OIO_KEY_BYTES_MAX && v && old && had_old);
    *had_old = 0;
    if (bt->height == 0) {
        uint8_t *pg = NULL;
        int rc = page_new(bt, 0, &bt->root_blk, &pg);
        if (rc != OIO_OK) return rc;
        bt->height = 1;
    }
    bt_path p;
    int rc = path_dirty(bt, key, kl, &p);
    if (rc != OIO_OK) return rc;
    uint8_t *leaf = p.pg[p.depth];
    uint16_t offs[PG_ENTRIES_MAX];
    int n = pg_offsets(leaf, offs), exact = 0;
    assert(n >= 0);
    uint32_t pos = leaf_search(leaf, offs, (uint32_t)n, key, kl, &exact);
    if (exact) {
        leafval_get(ent_val(leaf, offs[pos]), old);
        *had_old = 1;
        leafval_put(ent_val(leaf, offs[pos]), v);
        return OIO_OK;
    }
    uint8_t vb[LEAF_VAL], sep[OIO_KEY_BYTES_MAX];
    uint32_t sep_len = 0;
    uint64_t rblk = 0;
    leafval_put(vb, v);
    rc = insert_at(bt, leaf, pos, key, kl, vb, LEAF_VAL, &rblk, sep, &sep_len);
    if (rc != OIO_OK) return rc;
    return split_up(bt, &p, p.depth, rblk, sep, sep_len);
}

int bt_remove(oio_btree *bt, const uint8_t *key, uint32_t kl, oio_leafval *old) {
    assert(bt != NULL && key != NULL && kl > 0 && kl <= OIO_KEY_BYTES_MAX && old != NULL);
    int rc = bt_lookup(bt, key, kl, old);
    if (rc != OIO_OK) return rc;
    bt_path p;
    rc = path_dirty(bt, key, kl, &p);
    if (rc != OIO_OK) return rc;
    uint32_t d = p.depth;
    uint16_t offs[PG_ENTRIES_MAX];
    int n = pg_offsets(p.pg[d], offs), exact = 0;
    uint32_t pos = leaf_search(p.pg[d], offs, (uint32_t)n, key, kl, &exact);
    assert(exact);
    pg_remove(p.pg[d], pos);
    while (d > 0 && pg_count(p.pg[d]) == 0) {
        page_discard(bt, p.blk[d]);
        d--;
        pg_remove(p.pg[d], p.idx[d]);
    }
    if (pg_count(p.pg[0]) == 0) { /* the tree is empty */
        assert(d == 0);
        page_discard(bt, bt->root_blk);
        bt->root_blk = 0;
        bt->root_crc = 0;
        bt->height = 0;
        return OIO_OK;
    }
    _Alignas(OIO_BLOCK_BYTES) uint8_t root[OIO_BLOCK_BYTES];
    while (bt->height > 1) { /* a root with one child is replaced by it (maybe a clean one) */
        rc = page_read(bt, bt->root_blk, bt->height - 1, bt->root_crc, root, 0);
        if (rc != OIO_OK) return rc == OIO_CORRUPT ? OIO_OK : rc; /* keep the taller tree */
        if (pg_count(root) != 1) break;
        const uint8_t *v = ent_cval(root, PG_HDR);
        uint64_t child = get_u64(v);
        uint32_t crc = get_u32(v + 8);
        page_discard(bt, bt->root_blk);
        bt->root_blk = child;
        bt->root_crc = crc;
        bt->height--;
    }
    return OIO_OK;
}

int bt_scan(oio_btree *bt, const uint8_t *from, uint32_t from_len, int inclusive, bt_visit_fn fn, void *ctx) {
    assert(bt != NULL && fn != NULL && from_len <= OIO_KEY_BYTES_MAX);
    _Alignas(OIO_BLOCK_BYTES) uint8_t buf[OIO_BLOCK_BYTES];
    uint8_t cur[OIO_KEY_BYTES_MAX], next[OIO_KEY_BYTES_MAX];
    uint16_t offs[PG_ENTRIES_MAX];
    uint32_t cur_len = from_len, next_len = 0;
    if (from_len > 0) memcpy(cur, from, from_len);
    while (bt->height > 0) {
        int has_next = 0;
        uint64_t blk = bt->root_blk;
        uint32_t crc = bt->root_crc;
        for (uint32_t level = bt->height - 1; level > 0; level--) {
            int rc = page_read(bt, blk, level, crc, buf, 0);
            if (rc != OIO_OK) return rc;
            int n = pg_offsets(buf, offs);
            uint32_t i = node_search(buf, offs, (uint32_t)n, cur, cur_len);
            if (i + 1 < (uint32_t)n) {
                const uint8_t *k = ent_key(buf, offs[i + 1], &next_len);
                memcpy(next, k, next_len);
                has_next = 1;
            }
            const uint8_t *v = ent_cval(buf, offs[i]);
            blk = get_u64(v);
            crc = get_u32(v + 8);
        }
        int rc = page_read(bt, blk, 0, crc, buf, 0);
        if (rc != OIO_OK) return rc;
        int n = pg_offsets(buf, offs), exact = 0;
        uint32_t pos = leaf_search(buf, offs, (uint32_t)n, cur, cur_len, &exact);
        if (exact && !inclusive) pos++;
        for (uint32_t i = pos; i < (uint32_t)n; i++) {
            oio_leafval v;
            uint32_t kl = 0;
            const uint8_t *k = ent_key(buf, offs[i], &kl);
            leafval_get(ent_cval(buf, offs[i]), &v);
            if (fn(ctx, k, kl, &v) != 0) return OIO_OK;
        }
        if (!has_next) return OIO_OK;
        memcpy(cur, next, next_len);
        cur_len = next_len;
        inclusive = 1;
    }
    return OIO_OK;
}

static void walk_page(oio_btree *bt, uint64_t blk, uint32_t level, uint32_t crc, uint8_t *bufs,
                      bt_page_fn page_fn, bt_visit_fn leaf_fn, void *ctx) {
    uint8_t *buf = bufs + (uint64_t)level * OIO_BLOCK_BYTES;
    int rc = page_read(bt, blk, level, crc, buf, 0);
    page_fn(ctx, blk, level, rc != OIO_OK);
    if (rc != OIO_OK) return;
    uint16_t offs[PG_ENTRIES_MAX];
    int n = pg_offsets(buf, offs);
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        const uint8_t *v = ent_cval(buf, offs[i]);
        if (level == 0) {
            oio_leafval lv;
            uint32_t kl = 0;
            const uint8_t *k = ent_key(buf, offs[i], &kl);
            leafval_get(v, &lv);
            leaf_fn(ctx, k, kl, &lv);
        } else {
            walk_page(bt, get_u64(v), level - 1, get_u32(v + 8), bufs, page_fn, leaf_fn, ctx);
        }
    }
}

/* Visit every page (corrupt ones flagged, their subtrees skipped) and leaf entry. */
void bt_walk(oio_btree *bt, bt_page_fn page_fn, bt_visit_fn leaf_fn, void *ctx) {
    assert(bt != NULL && page_fn != NULL && leaf_fn != NULL);
    if (bt->height == 0) return;
    uint8_t *bufs = oio_buf_alloc((uint64_t)bt->height * OIO_BLOCK_BYTES);
    assert(bufs != NULL);
    walk_page(bt, bt->root_blk, bt->height - 1, bt->root_crc, bufs, page_fn, leaf_fn, ctx);
    oio_buf_free(bufs);
}

/* Write the dirty subtree under blk bottom-up; *crc_out gets the page crc. */
static int finalize(oio_btree *bt, uint64_t blk, uint32_t level, uint32_t *crc_out, uint64_t *written) {
    uint8_t *pg = hmap_get(&bt->dirty, blk);
    assert(pg != NULL && pg_level(pg) == level && get_u64(pg + 8) == blk);
    if (level > 0) {
        uint16_t offs[PG_ENTRIES_MAX];
        int n = pg_offsets(pg, offs);
        assert(n > 0);
        for (uint32_t i = 0; i < (uint32_t)n; i++) {
            uint8_t *v = ent_val(pg, offs[i]);
            if (hmap_get(&bt->dirty, get_u64(v)) == NULL) continue;
            uint32_t c = 0;
            int rc = finalize(bt, get_u64(v), level - 1, &c, written);
            if (rc != OIO_OK) return rc;
            put_u32(v + 8, c);
        }
    }
    put_u64(pg + 16, bt->ckpt_seq);
    uint32_t crc = oio_block_crc(pg, OIO_BLOCK_BYTES, 4);
    put_u32(pg + 4, crc);
    assert(page_valid(pg, blk, level, crc));
    int rc = bt->io->pwrite(bt->io, pg, OIO_BLOCK_BYTES, blk * OIO_BLOCK_BYTES);
    if (rc != OIO_OK) return rc;
    *crc_out = crc;
    (*written)++;
    return OIO_OK;
}

int bt_write_dirty(oio_btree *bt) {
    assert(bt != NULL);
    if (bt->dirty.count == 0) return OIO_OK;
    assert(bt->height > 0 && hmap_get(&bt->dirty, bt->root_blk) != NULL);
    uint64_t written = 0;
    int rc = finalize(bt, bt->root_blk, bt->height - 1, &bt->root_crc, &written);
    assert(rc != OIO_OK || written == bt->dirty.count);
    return rc;
}

void bt_checkpoint_done(oio_btree *bt) {
    assert(bt != NULL);
    for (uint64_t i = 0; i < bt->dirty.cap; i++) {
        if (bt->dirty.keys[i] == 0) continue;
        arc_put(bt->arc, bt->dirty.keys[i], bt->dirty.vals[i], OIO_BLOCK_BYTES);
        oio_buf_free(bt->dirty.vals[i]);
        bt->dirty.keys[i] = 0;
        bt->dirty.vals[i] = NULL;
    }
    bt->dirty.count = 0;
    for (uint64_t i = 0; i < bt->pending_count; i++) {
        alloc_release(bt->alloc, bt->pending_free[i], 1);
        arc_drop(bt->arc, bt->pending_free[i]);
    }
    bt->pending_count = 0;
}
