/*
 * records.c — the record operations: put, put_many, delete, get, stat,
 * scan, verify.  Formats are in extent.c and btree.c; durability and
 * recovery rules in engine.c.  This file adds the read-side rules:
 *
 *   - The index lock is held only to look a key up; extents are read
 *     without it.  A concurrent overwrite or delete may free the extent
 *     and a later put may reuse it, so a checksum mismatch is retried
 *     after looking the key up again: if the record changed, the read is
 *     repeated, if it did not, the result is OIO_CORRUPT.  Bytes that fail
 *     a checksum are never returned.
 *   - A cached copy that fails verification is dropped and read from disk
 *     before anything is reported; verify() never trusts the cache.
 *   - Small records (header + data within OIO_CACHE_WRITE_BYTES_MAX, 64 KiB)
 *     are cached whole when written, and stat and scan read them whole too.
 *     A get reads a record whole (and caches it) up to
 *     OIO_CACHE_RECORD_BYTES_MAX (512 KiB); larger ones read the header, then
 *     only the 64 KiB chunks the requested range touches.  Only a record whose
 *     every chunk passed its check is cached; when one fails, the get falls
 *     back to the header and the range's own chunks, so a damaged chunk fails
 *     only the reads that touch it.
 *   - oio_get_cached serves such a whole cached record without I/O and
 *     without waiting for index_mu (trylock); its bytes pass the same
 *     header and chunk checks.  Everything it cannot serve that way (a busy
 *     lock, a page or record not cached, a cached copy that fails a check,
 *     which is dropped) is OIO_MISS, never an error: the regular get then
 *     reads the disk and is the one that reports corruption.
 */
#include <stdlib.h>

#include "internal.h"

#define GET_RETRIES_MAX_ATTEMPTS 4 /* re-lookups when a record changes mid-read */

/* ---- writes ------------------------------------------------------------ */
static int item_ok(const oio_put_item *it) {
    if (!key_ok(it->key, it->key_len)) return it->key_len > OIO_KEY_BYTES_MAX ? OIO_TOO_BIG : OIO_INVALID;
    if (it->meta_len > OIO_META_BYTES_MAX || it->data_len > OIO_EXTENT_BYTES_MAX) return OIO_TOO_BIG;
    if ((it->data_len > 0 && it->data == NULL) || (it->meta_len > 0 && it->meta == NULL)) return OIO_INVALID;
    return OIO_OK;
}

/* Allocate, build and write one record's extent; fill its WAL record. */
static int extent_write(oio_engine *e, const oio_put_item *it, oio_walrec *r) {
    uint64_t nblk = extent_blocks(it->data_len), blk = 0;
    int rc = alloc_take(&e->alloc, nblk, 0, &blk);
    if (rc != OIO_OK) return rc;
    uint8_t *buf = bufpool_get(&e->pool, nblk * OIO_BLOCK_BYTES);
    if (buf == NULL) {
        alloc_release(&e->alloc, blk, nblk);
        return OIO_NOMEM;
    }
    uint32_t data_crc = 0;
    uint32_t hdr_crc = extent_build(buf, blk, it->key, it->key_len, it->meta, it->meta_len, it->data,
                                    (uint32_t)it->data_len, &data_crc);
    rc = e->io->pwrite(e->io, buf, nblk * OIO_BLOCK_BYTES, blk * OIO_BLOCK_BYTES);
    /* Write-through for small records: a read soon after the write (the usual
     * case for fresh objects) then needs no device read.  Keyed by the new
     * block, which nothing else caches (freeing an extent drops its entry). */
    if (rc == OIO_OK && nblk * OIO_BLOCK_BYTES <= OIO_CACHE_WRITE_BYTES_MAX)
        arc_put(e->arc, blk, buf, (uint32_t)(nblk * OIO_BLOCK_BYTES));
    bufpool_put(&e->pool, buf);
    if (rc != OIO_OK) {
        e->failed = 1; /* the extent stays allocated: nothing is trusted now */
        return rc;
    }
    memset(r, 0, sizeof(*r));
    r->type = OIO_WAL_PUT;
    r->key_len = (uint16_t)it->key_len;
    memcpy(r->key, it->key, it->key_len);
    r->extent_blk = blk;
    r->length = (uint32_t)it->data_len;
    r->data_crc = data_crc;
    r->hdr_crc = hdr_crc;
    r->meta_len = (uint16_t)it->meta_len;
    return OIO_OK;
}

static void info_from_put(const oio_put_item *it, const oio_walrec *r, oio_shard_info *out) {
    memset(out, 0, offsetof(oio_shard_info, meta));
    memcpy(out->key, it->key, it->key_len);
    out->key_len = it->key_len;
    out->length = r->length;
    out->crc32c = r->data_crc;
    out->flags = r->flags;
    out->generation = r->generation;
    out->meta_len = it->meta_len;
    if (it->meta_len > 0) memcpy(out->meta, it->meta, it->meta_len);
}

static int put_items(oio_engine *e, const oio_put_item *items, uint32_t count, oio_shard_info *out) {
    oio_walrec *recs = calloc(count, sizeof(*recs));
    oio_walrec **ptrs = calloc(count, sizeof(*ptrs));
    int rc = recs == NULL || ptrs == NULL ? OIO_NOMEM : OIO_OK;
    uint32_t written = 0;
    if (rc == OIO_OK) engine_writing_begin(e);
    for (; rc == OIO_OK && written < count; written++) {
        rc = extent_write(e, &items[written], &recs[written]);
        ptrs[written] = &recs[written];
        if (rc != OIO_OK) break;
    }
    if (rc == OIO_OK) rc = engine_commit(e, ptrs, count, 1);
    else if (recs != NULL && ptrs != NULL) engine_writing_abort(e);
    if (rc == OIO_OK) {
        for (uint32_t i = 0; i < count; i++) info_from_put(&items[i], &recs[i], &out[i]);
    } else if (!e->failed) { /* nothing was logged: the extents are still ours */
        for (uint32_t i = 0; i < written; i++) engine_extent_free(e, recs[i].extent_blk, recs[i].length);
    }
    free(recs);
    free(ptrs);
    return rc;
}

int oio_put_many(oio_engine *e, const oio_put_item *items, uint32_t count, oio_shard_info *out) {
    if (e == NULL || items == NULL || out == NULL || count == 0) return OIO_INVALID;
    if (count > OIO_PUT_MANY_ITEMS_MAX) return OIO_TOO_BIG;
    for (uint32_t i = 0; i < count; i++) {
        int rc = item_ok(&items[i]);
        if (rc != OIO_OK) return rc;
    }
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    engine_writer_enter(e);
    rc = e->failed ? OIO_EIO : put_items(e, items, count, out);
    engine_writer_exit(e);
    engine_call_exit(e);
    return rc;
}

int oio_put(oio_engine *e, const uint8_t *key, uint32_t key_len, const uint8_t *data, uint64_t data_len,
            const uint8_t *meta, uint32_t meta_len, oio_shard_info *out) {
    oio_put_item it = {key, key_len, data, data_len, meta, meta_len};
    return oio_put_many(e, &it, 1, out);
}

static int lookup(oio_engine *e, const uint8_t *key, uint32_t key_len, oio_leafval *v) {
    pthread_mutex_lock(&e->index_mu);
    int rc = bt_lookup(&e->bt, key, key_len, v);
    pthread_mutex_unlock(&e->index_mu);
    return rc;
}

int oio_delete(oio_engine *e, const uint8_t *key, uint32_t key_len) {
    if (e == NULL) return OIO_INVALID;
    if (!key_ok(key, key_len)) return key_len > OIO_KEY_BYTES_MAX ? OIO_TOO_BIG : OIO_INVALID;
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    oio_leafval v;
    rc = e->failed ? OIO_EIO : lookup(e, key, key_len, &v);
    if (rc == OIO_OK) {
        oio_walrec r;
        memset(&r, 0, sizeof(r));
        r.type = OIO_WAL_DELETE;
        r.key_len = (uint16_t)key_len;
        memcpy(r.key, key, key_len);
        oio_walrec *p = &r;
        engine_writer_enter(e);
        rc = engine_commit(e, &p, 1, 0);
        engine_writer_exit(e);
        if (rc == OIO_OK) rc = r.result;
    }
    engine_call_exit(e);
    return rc;
}

/* ---- reads ------------------------------------------------------------- */
/* Read blocks [blk, blk+nblk) into buf, from the cache when allowed. */
static int read_blocks(oio_engine *e, uint64_t blk, uint64_t nblk, uint8_t *buf, int use_cache, int *cached) {
    uint32_t len = 0, want = (uint32_t)(nblk * OIO_BLOCK_BYTES);
    *cached = use_cache && arc_get(e->arc, blk, buf, want, &len) && len >= want;
    return *cached ? OIO_OK : e->io->pread(e->io, buf, want, blk * OIO_BLOCK_BYTES);
}

/* Check the header block in buf against v and, when whole, every data chunk
 * that follows it. */
static int check_head(const oio_leafval *v, const uint8_t *buf, int whole, oio_xhdr *h) {
    int rc = extent_parse_header(buf, v->extent_blk, v->hdr_crc, h);
    if (rc == OIO_OK && (h->length != v->length || h->data_crc != v->data_crc)) rc = OIO_CORRUPT;
    if (rc == OIO_OK && whole && h->chunk_count > 0)
        rc = extent_check_chunks(h, buf + OIO_BLOCK_BYTES, 0, h->chunk_count - 1);
    return rc;
}

/* Header of v, verified; and the whole record (every chunk verified too) when
 * header + data fit in whole_max bytes, which buf holds at least.  *whole
 * tells if data came too.  whole_max 0 reads the header block alone. */
static int read_head(oio_engine *e, const oio_leafval *v, uint8_t *buf, oio_xhdr *h, int use_cache, uint64_t whole_max,
                     int *whole) {
    uint64_t nblk = extent_blocks(v->length);
    *whole = nblk * OIO_BLOCK_BYTES <= whole_max;
    uint64_t want = *whole ? nblk : 1;
    for (int from_disk = !use_cache; from_disk < 2; from_disk++) {
        int cached = 0;
        int rc = read_blocks(e, v->extent_blk, want, buf, !from_disk, &cached);
        if (rc != OIO_OK) return rc;
        rc = check_head(v, buf, *whole, h);
        if (rc == OIO_OK) {
            if (!cached && use_cache) arc_put(e->arc, v->extent_blk, buf, (uint32_t)(want * OIO_BLOCK_BYTES));
            return OIO_OK;
        }
        if (cached) arc_drop(e->arc, v->extent_blk);
        if (!cached && from_disk) return rc;
    }
    return OIO_CORRUPT;
}

/* Copy bytes [off, off+n) of record v into out, verifying what is read. */
/* out has room for out_cap bytes; when it is 4 KiB aligned, the range starts a
 * chunk and out_cap covers the whole chunks, the data is read straight into it
 * (no bounce copy).  On any error out's contents are undefined. */
static int read_range(oio_engine *e, const oio_leafval *v, uint64_t off, uint64_t n, uint8_t *out,
                      uint64_t out_cap, int use_cache, oio_xhdr *h) {
    uint64_t record_bytes = extent_blocks(v->length) * OIO_BLOCK_BYTES;
    uint8_t *head = bufpool_get(&e->pool, record_bytes <= OIO_CACHE_RECORD_BYTES_MAX ? record_bytes : OIO_BLOCK_BYTES);
    if (head == NULL) return OIO_NOMEM;
    int whole = 0;
    int rc = read_head(e, v, head, h, use_cache, OIO_CACHE_RECORD_BYTES_MAX, &whole);
    if (rc == OIO_CORRUPT && whole && v->length > OIO_CHUNK_BYTES) /* maybe one bad chunk: only the range's count */
        rc = read_head(e, v, head, h, 0, 0, &whole);
    if (rc == OIO_OK && whole && n > 0) memcpy(out, head + OIO_BLOCK_BYTES + off, n);
    bufpool_put(&e->pool, head);
    if (rc != OIO_OK || whole || n == 0) return rc;
    uint32_t c0 = (uint32_t)(off / OIO_CHUNK_BYTES), c1 = (uint32_t)((off + n - 1) / OIO_CHUNK_BYTES);
    uint64_t start = (uint64_t)c0 * OIO_CHUNK_BYTES;
    uint64_t end = (uint64_t)(c1 + 1) * OIO_CHUNK_BYTES < v->length ? (uint64_t)(c1 + 1) * OIO_CHUNK_BYTES : v->length;
    uint64_t nbytes = oio_round_up(end - start, OIO_BLOCK_BYTES);
    if (off == start && (uintptr_t)out % OIO_BLOCK_BYTES == 0 && out_cap >= nbytes) {
        rc = e->io->pread(e->io, out, nbytes, (v->extent_blk + 1) * OIO_BLOCK_BYTES + start);
        return rc == OIO_OK ? extent_check_chunks(h, out, c0, c1) : rc;
    }
    uint8_t *data = bufpool_get(&e->pool, nbytes);
    if (data == NULL) return OIO_NOMEM;
    rc = e->io->pread(e->io, data, nbytes, (v->extent_blk + 1) * OIO_BLOCK_BYTES + start);
    if (rc == OIO_OK) rc = extent_check_chunks(h, data, c0, c1);
    if (rc == OIO_OK) memcpy(out, data + (off - start), n);
    bufpool_put(&e->pool, data);
    return rc;
}

/* Run a verified read of key; retried while the record changes under us. */
typedef int (*read_fn)(oio_engine *e, const oio_leafval *v, void *ctx);

static int with_record(oio_engine *e, const uint8_t *key, uint32_t key_len, read_fn fn, void *ctx) {
    oio_leafval v, again;
    int rc = lookup(e, key, key_len, &v);
    for (int attempt = 0; rc == OIO_OK && attempt < GET_RETRIES_MAX_ATTEMPTS; attempt++) {
        rc = fn(e, &v, ctx);
        if (rc != OIO_CORRUPT) return rc;
        int rc2 = lookup(e, key, key_len, &again);
        if (rc2 != OIO_OK) return rc2;
        if (again.extent_blk == v.extent_blk && again.generation == v.generation) return OIO_CORRUPT;
        v = again;
        rc = OIO_OK;
    }
    return rc == OIO_OK ? OIO_CORRUPT : rc;
}

typedef struct get_ctx {
    uint64_t offset, length;
    uint8_t *buf;
    uint64_t buf_len;
    uint64_t *len_out;
    oio_xhdr h;
} get_ctx;

static int get_fn(oio_engine *e, const oio_leafval *v, void *ctx) {
    get_ctx *g = ctx;
    if (g->offset > v->length) return OIO_INVALID;
    uint64_t n = v->length - g->offset < g->length ? v->length - g->offset : g->length;
    *g->len_out = n;
    if (n > g->buf_len) return OIO_RANGE;
    return read_range(e, v, g->offset, n, g->buf, g->buf_len, 1, &g->h);
}

/* How a public get finds and copies its record: from the index and the disk
 * (through the cache), or from memory only. */
typedef int (*get_step)(oio_engine *e, const uint8_t *key, uint32_t key_len, get_ctx *g);

/* The frame both public gets share: argument checks, engine entry, the get_ctx. */
static int run_get(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t offset, uint64_t length,
                   uint8_t *buf, uint64_t buf_len, uint64_t *len_out, get_step step) {
    if (e == NULL || len_out == NULL || (buf == NULL && buf_len > 0)) return OIO_INVALID;
    if (!key_ok(key, key_len)) return key_len > OIO_KEY_BYTES_MAX ? OIO_TOO_BIG : OIO_INVALID;
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    get_ctx *g = malloc(sizeof(*g));
    rc = g == NULL ? OIO_NOMEM : OIO_OK;
    if (rc == OIO_OK) {
        g->offset = offset;
        g->length = length;
        g->buf = buf;
        g->buf_len = buf_len;
        g->len_out = len_out;
        rc = step(e, key, key_len, g);
    }
    free(g);
    engine_call_exit(e);
    return rc;
}

static int get_step_stored(oio_engine *e, const uint8_t *key, uint32_t key_len, get_ctx *g) {
    return with_record(e, key, key_len, get_fn, g);
}

int oio_get(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t offset, uint64_t length, uint8_t *buf,
            uint64_t buf_len, uint64_t *len_out) {
    return run_get(e, key, key_len, offset, length, buf, buf_len, len_out, get_step_stored);
}

static int lookup_cached(oio_engine *e, const uint8_t *key, uint32_t key_len, oio_leafval *v) {
    if (pthread_mutex_trylock(&e->index_mu) != 0) return OIO_MISS; /* busy (a checkpoint's I/O) */
    int rc = bt_lookup_cached(&e->bt, key, key_len, v);
    pthread_mutex_unlock(&e->index_mu);
    return rc;
}

/* Bytes [offset, offset+n) of the cached whole record v into buf; OIO_MISS
 * when it is not cached or its cached copy fails a check (then dropped). */
static int get_cached_fn(oio_engine *e, const oio_leafval *v, get_ctx *g) {
    uint64_t nblk = extent_blocks(v->length);
    if (nblk * OIO_BLOCK_BYTES > OIO_CACHE_RECORD_BYTES_MAX) return OIO_MISS; /* never cached whole */
    if (g->offset > v->length) return OIO_INVALID;
    uint64_t n = v->length - g->offset < g->length ? v->length - g->offset : g->length;
    *g->len_out = n;
    if (n > g->buf_len) return OIO_RANGE;
    uint32_t len = 0, want = (uint32_t)(nblk * OIO_BLOCK_BYTES);
    uint8_t *rec = bufpool_get(&e->pool, want);
    if (rec == NULL) return OIO_MISS; /* the regular get reports the shortage */
    /* one hit per read served; a miss is counted by the regular read that follows */
    int rc = arc_get_quiet(e->arc, v->extent_blk, rec, want, &len, 1) && len >= want ? OIO_OK : OIO_MISS;
    if (rc == OIO_OK && check_head(v, rec, 1, &g->h) != OIO_OK) {
        arc_drop(e->arc, v->extent_blk);
        rc = OIO_MISS;
    }
    if (rc == OIO_OK && n > 0) memcpy(g->buf, rec + OIO_BLOCK_BYTES + g->offset, n);
    bufpool_put(&e->pool, rec);
    return rc;
}

static int get_step_cached(oio_engine *e, const uint8_t *key, uint32_t key_len, get_ctx *g) {
    oio_leafval v;
    int rc = lookup_cached(e, key, key_len, &v);
    return rc == OIO_OK ? get_cached_fn(e, &v, g) : rc;
}

int oio_get_cached(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t offset, uint64_t length,
                   uint8_t *buf, uint64_t buf_len, uint64_t *len_out) {
    return run_get(e, key, key_len, offset, length, buf, buf_len, len_out, get_step_cached);
}

static void info_from_record(const uint8_t *key, uint32_t key_len, const oio_leafval *v, const oio_xhdr *h,
                             oio_shard_info *out) {
    memcpy(out->key, key, key_len);
    out->key_len = key_len;
    out->length = v->length;
    out->crc32c = v->data_crc;
    out->flags = v->flags;
    out->generation = v->generation;
    out->meta_len = h ? h->meta_len : 0;
    if (h && h->meta_len > 0) memcpy(out->meta, h->meta, h->meta_len);
}

typedef struct stat_ctx {
    const uint8_t *key;
    uint32_t key_len;
    oio_shard_info *out;
    oio_xhdr h;
} stat_ctx;

static int stat_fn(oio_engine *e, const oio_leafval *v, void *ctx) {
    stat_ctx *s = ctx;
    uint8_t *head = bufpool_get(&e->pool, OIO_CACHE_WRITE_BYTES_MAX);
    if (head == NULL) return OIO_NOMEM;
    int whole = 0;
    int rc = read_head(e, v, head, &s->h, 1, OIO_CACHE_WRITE_BYTES_MAX, &whole);
    bufpool_put(&e->pool, head);
    if (rc == OIO_OK) info_from_record(s->key, s->key_len, v, &s->h, s->out);
    return rc;
}

int oio_stat(oio_engine *e, const uint8_t *key, uint32_t key_len, oio_shard_info *out) {
    if (e == NULL || out == NULL) return OIO_INVALID;
    if (!key_ok(key, key_len)) return key_len > OIO_KEY_BYTES_MAX ? OIO_TOO_BIG : OIO_INVALID;
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    stat_ctx *s = malloc(sizeof(*s));
    rc = s == NULL ? OIO_NOMEM : OIO_OK;
    if (rc == OIO_OK) {
        s->key = key;
        s->key_len = key_len;
        s->out = out;
        rc = with_record(e, key, key_len, stat_fn, s);
    }
    free(s);
    engine_call_exit(e);
    return rc;
}

static int verify_fn(oio_engine *e, const oio_leafval *v, void *ctx) {
    oio_xhdr *h = ctx;
    uint64_t cap = oio_round_up(v->length ? v->length : 1, OIO_BLOCK_BYTES);
    uint8_t *data = bufpool_get(&e->pool, cap);
    if (data == NULL) return OIO_NOMEM;
    int rc = read_range(e, v, 0, v->length, data, cap, 0, h);
    if (rc == OIO_OK && oio_crc32c(0, data, v->length) != v->data_crc) rc = OIO_CORRUPT;
    bufpool_put(&e->pool, data);
    return rc;
}

int oio_verify(oio_engine *e, const uint8_t *key, uint32_t key_len) {
    if (e == NULL) return OIO_INVALID;
    if (!key_ok(key, key_len)) return key_len > OIO_KEY_BYTES_MAX ? OIO_TOO_BIG : OIO_INVALID;
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    oio_xhdr *h = malloc(sizeof(*h));
    rc = h == NULL ? OIO_NOMEM : with_record(e, key, key_len, verify_fn, h);
    free(h);
    engine_call_exit(e);
    return rc;
}

int oio_debug_extent(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t *offset_bytes_out) {
    if (e == NULL || offset_bytes_out == NULL || !key_ok(key, key_len)) return OIO_INVALID;
    oio_leafval v;
    int rc = lookup(e, key, key_len, &v);
    if (rc == OIO_OK) *offset_bytes_out = v.extent_blk * OIO_BLOCK_BYTES;
    return rc;
}

/* ---- scan -------------------------------------------------------------- */
typedef struct scan_hit {
    uint8_t key[OIO_KEY_BYTES_MAX];
    uint32_t key_len;
    oio_leafval v;
} scan_hit;

typedef struct scan_ctx {
    const uint8_t *prefix;
    uint32_t prefix_len;
    uint32_t limit, count;
    scan_hit *hits;
} scan_ctx;

static int scan_visit(void *ctx, const uint8_t *key, uint32_t key_len, const oio_leafval *v) {
    scan_ctx *s = ctx;
    if (key_len < s->prefix_len || memcmp(key, s->prefix, s->prefix_len) != 0) return 1; /* past the prefix */
    scan_hit *h = &s->hits[s->count++];
    memcpy(h->key, key, key_len);
    h->key_len = key_len;
    h->v = *v;
    return s->count == s->limit;
}

static int scan_collect(oio_engine *e, scan_ctx *s, const uint8_t *start_after, uint32_t start_after_len) {
    const uint8_t *from = s->prefix;
    uint32_t from_len = s->prefix_len;
    int inclusive = 1;
    int c = memcmp(start_after, s->prefix, start_after_len < s->prefix_len ? start_after_len : s->prefix_len);
    if (start_after_len > 0 && (c > 0 || (c == 0 && start_after_len >= s->prefix_len))) {
        from = start_after;
        from_len = start_after_len;
        inclusive = 0;
    }
    pthread_mutex_lock(&e->index_mu);
    int rc = bt_scan(&e->bt, from, from_len, inclusive, scan_visit, s);
    pthread_mutex_unlock(&e->index_mu);
    return rc;
}

int oio_scan(oio_engine *e, const uint8_t *prefix, uint32_t prefix_len, const uint8_t *start_after,
             uint32_t start_after_len, uint32_t limit, oio_shard_info *out, uint32_t *count_out) {
    if (e == NULL || out == NULL || count_out == NULL || limit == 0) return OIO_INVALID;
    if (prefix_len > OIO_KEY_BYTES_MAX || start_after_len > OIO_KEY_BYTES_MAX || limit > OIO_SCAN_LIMIT_MAX)
        return OIO_TOO_BIG;
    if ((prefix_len > 0 && prefix == NULL) || (start_after_len > 0 && start_after == NULL)) return OIO_INVALID;
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    static const uint8_t empty[1] = {0};
    scan_ctx s = {prefix_len ? prefix : empty, prefix_len, limit, 0, calloc(limit, sizeof(scan_hit))};
    oio_xhdr *h = malloc(sizeof(*h));
    uint8_t *head = bufpool_get(&e->pool, OIO_CACHE_WRITE_BYTES_MAX);
    rc = s.hits == NULL || h == NULL || head == NULL ? OIO_NOMEM : OIO_OK;
    if (rc == OIO_OK) rc = scan_collect(e, &s, start_after_len ? start_after : empty, start_after_len);
    for (uint32_t i = 0; rc == OIO_OK && i < s.count; i++) {
        int whole = 0;
        int hrc = read_head(e, &s.hits[i].v, head, h, 1, OIO_CACHE_WRITE_BYTES_MAX, &whole);
        if (hrc != OIO_OK && hrc != OIO_CORRUPT) rc = hrc;
        info_from_record(s.hits[i].key, s.hits[i].key_len, &s.hits[i].v, hrc == OIO_OK ? h : NULL, &out[i]);
        if (hrc != OIO_OK) out[i].flags |= OIO_FLAG_META_UNREADABLE;
    }
    *count_out = rc == OIO_OK ? s.count : 0;
    free(s.hits);
    free(h);
    bufpool_put(&e->pool, head);
    engine_call_exit(e);
    return rc;
}
