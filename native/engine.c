/*
 * engine.c — open and recovery, the record operations, group commit and
 * checkpoints.  The on-disk pieces are described in superblock.c (layout),
 * wal.c, btree.c and extent.c; this file holds the rules that tie them.
 *
 * Write path (put / put_many / delete)
 *   1. put: allocate a contiguous extent (never one freed by a record that
 *      is not yet durably replaced), write header + data with one pwrite.
 *   2. Queue the WAL record(s) and wait.  The first waiter finding no
 *      leader becomes leader: it waits (at most
 *      OIO_GROUP_COMMIT_GATHER_US_MAX) for puts still writing their data
 *      to queue too, then takes every queued record, writes them as
 *      frames, issues ONE flush for all of them (group commit), applies
 *      them to the B-tree in log order, and wakes the followers.  Only then
 *      do calls return: data, WAL record and index change are durable.
 *   3. Extents replaced or deleted are released to the allocator right
 *      after that flush, so their blocks are reused only after the record
 *      that superseded them is durable.
 * Generations come from one engine-wide counter (next_generation), are
 * written in the WAL record, and so replay gives every record the same
 * generation; an overwrite always gets a larger one.
 *
 * Checkpoint (leader role + index_mu held): write dirty B-tree pages
 * (copy-on-write, children first), flush, write the superblock copy
 * ckpt_seq % 2 with the new root, wal_start_lsn = WAL tail and a new WAL
 * epoch, flush, then release blocks replaced since the previous
 * checkpoint.  Triggered when the WAL is half full, when dirty pages
 * exceed OIO_DIRTY_PAGES_MAX, by sync(), close() and at the end of open.
 *
 * Recovery (open)
 *   1. Pick the superblock copy with the larger valid ckpt_seq.
 *   2. Walk the checkpointed tree; mark its pages and extents used.
 *   3. Read WAL frames from wal_start_lsn until the first invalid frame
 *      (wal.c); mark every put record's extent used (so pages allocated
 *      while replaying cannot land on data a later record needs).
 *   4. Apply records in order.  Groups before the last valid one were
 *      flushed (the next group was written only after that flush), so
 *      only puts of the LAST group have their header and data checked
 *      against the checksums in their record; one that does not verify is
 *      skipped: its data never became durable, so it was never
 *      acknowledged.  Recovery reads at most one group's data.
 *   5. Rebuild the allocator from the resulting tree (+ pending page
 *      frees), then checkpoint: this bumps the WAL epoch so stale frames
 *      beyond the recovered tail can never be replayed later.
 * Guarantees: every acknowledged record survives; an unacknowledged
 * record is either absent or complete and verified.
 *
 * Failure: any I/O error from a write or flush makes the engine "failed"
 * (sticky): later calls return OIO_EIO and close() skips the checkpoint.
 * Reopening runs recovery.  A corrupt B-tree page or extent affects only
 * the keys under it (OIO_CORRUPT); its block is never reused.
 */
#include <stdlib.h>
#include <time.h>

#include "internal.h"

/* ---- small helpers ----------------------------------------------------- */
int engine_call_enter(oio_engine *e) {
    pthread_mutex_lock(&e->life_mu);
    int rc = e->closing ? OIO_CLOSED : OIO_OK;
    if (rc == OIO_OK) e->calls++;
    pthread_mutex_unlock(&e->life_mu);
    return rc;
}

void engine_call_exit(oio_engine *e) {
    pthread_mutex_lock(&e->life_mu);
    assert(e->calls > 0);
    if (--e->calls == 0) pthread_cond_broadcast(&e->life_cv);
    pthread_mutex_unlock(&e->life_mu);
}

static int engine_flush(oio_engine *e) {
    int rc = e->io->flush(e->io);
    e->flushes++;
    if (rc != OIO_OK) e->failed = 1;
    return rc;
}

void engine_extent_free(oio_engine *e, uint64_t blk, uint32_t length) {
    alloc_release(&e->alloc, blk, extent_blocks(length));
    arc_drop(e->arc, blk);
}

/* ---- checkpoint (caller holds the leader role) ------------------------- */
static int checkpoint(oio_engine *e) {
    if (e->failed) return OIO_EIO;
    pthread_mutex_lock(&e->index_mu);
    e->bt.ckpt_seq = e->sb.ckpt_seq + 1;
    int rc = bt_write_dirty(&e->bt);
    if (rc == OIO_OK) rc = engine_flush(e);
    oio_sb next = e->sb;
    next.ckpt_seq++;
    next.root_blk = e->bt.root_blk;
    next.root_crc = e->bt.root_crc;
    next.tree_height = e->bt.height;
    next.wal_start_lsn = e->wal.tail_lsn;
    next.wal_epoch++;
    next.object_count = e->object_count;
    next.next_generation = e->next_generation;
    if (rc == OIO_OK) rc = sb_write(e->io, &next);
    if (rc == OIO_OK) rc = engine_flush(e);
    if (rc == OIO_OK) {
        e->sb = next;
        bt_checkpoint_done(&e->bt);
        e->wal.start_lsn = next.wal_start_lsn;
        e->wal.epoch = next.wal_epoch;
        e->checkpoints++;
    } else {
        e->failed = 1;
    }
    pthread_mutex_unlock(&e->index_mu);
    return rc;
}

static int checkpoint_wanted(const oio_engine *e) {
    return e->wal.tail_lsn - e->wal.start_lsn > e->wal.region_bytes / 2 ||
           e->bt.dirty.count > OIO_DIRTY_PAGES_MAX;
}

/* ---- applying records (index_mu held) ---------------------------------- */
static int apply_record(oio_engine *e, oio_walrec *r) {
    oio_leafval old;
    int had = 0, rc;
    if (r->type == OIO_WAL_PUT) {
        oio_leafval v = {r->extent_blk, r->length, r->data_crc, r->hdr_crc, r->flags, r->generation,
                         r->meta_len};
        rc = bt_upsert(&e->bt, r->key, r->key_len, &v, &old, &had);
        if (rc == OIO_OK && !had) e->object_count++;
    } else {
        rc = bt_remove(&e->bt, r->key, r->key_len, &old);
        if (rc == OIO_NOT_FOUND) {
            r->result = OIO_NOT_FOUND;
            return OIO_OK;
        }
        had = rc == OIO_OK;
        if (had) e->object_count--;
    }
    if (rc != OIO_OK) return rc;
    if (had && !e->replaying) engine_extent_free(e, old.extent_blk, old.length);
    r->result = OIO_OK;
    return OIO_OK;
}

/* ---- group commit ------------------------------------------------------ */
/* Leader: log, flush and apply records (in as many WAL-sized rounds as needed). */
static int leader_commit(oio_engine *e, oio_walrec **recs, uint64_t count) {
    uint64_t i = 0;
    while (i < count) {
        uint64_t free_bytes = wal_free_bytes(&e->wal), payload = 0, j = i;
        while (j < count) {
            uint64_t nb = wal_record_bytes(recs[j]);
            if (wal_bytes_bound(j - i + 1, payload + nb) > free_bytes) break;
            payload += nb;
            j++;
        }
        if (j == i) {
            int rc = checkpoint(e);
            if (rc != OIO_OK) return rc;
            assert(wal_free_bytes(&e->wal) == e->wal.region_bytes);
            continue;
        }
        for (uint64_t k = i; k < j; k++) recs[k]->generation = e->next_generation++;
        int rc = wal_append(&e->wal, recs + i, j - i);
        if (rc != OIO_OK) {
            e->failed = 1;
            return rc;
        }
        rc = engine_flush(e);
        if (rc != OIO_OK) return rc;
        e->group_commits++;
        e->group_commit_records += j - i;
        pthread_mutex_lock(&e->index_mu);
        for (uint64_t k = i; k < j && rc == OIO_OK; k++) rc = apply_record(e, recs[k]);
        pthread_mutex_unlock(&e->index_mu);
        if (rc != OIO_OK) { /* logged but not applied: memory no longer matches disk */
            e->failed = 1;
            return rc;
        }
        i = j;
    }
    return OIO_OK;
}

static void leader_run(oio_engine *e) {
    /* commit_mu held on entry and exit; leader_busy set by the caller */
    commit_req *batch = e->queue_head;
    e->queue_head = e->queue_tail = NULL;
    pthread_mutex_unlock(&e->commit_mu);
    uint64_t total = 0, n = 0;
    for (commit_req *r = batch; r; r = r->next) total += r->count;
    oio_walrec **flat = malloc(total * sizeof(*flat));
    int rc = flat == NULL ? OIO_NOMEM : e->failed ? OIO_EIO : OIO_OK;
    for (commit_req *r = batch; r && flat; r = r->next)
        for (uint64_t k = 0; k < r->count; k++) flat[n++] = r->recs[k];
    if (rc == OIO_OK) rc = leader_commit(e, flat, total);
    free(flat);
    int want_ckpt = rc == OIO_OK && checkpoint_wanted(e);
    pthread_mutex_lock(&e->commit_mu);
    for (commit_req *r = batch; r;) {
        commit_req *next = r->next; /* r may return (and vanish) once done is set */
        r->rc = rc;
        r->done = 1;
        pthread_cond_signal(&r->cv);
        r = next;
    }
    if (want_ckpt) { /* followers are released; new writers queue meanwhile */
        pthread_mutex_unlock(&e->commit_mu);
        checkpoint(e);
        pthread_mutex_lock(&e->commit_mu);
    }
}

/* Leader role just released (commit_mu held): wake the oldest queued writer
 * to lead the next group, and any sync()/close() waiting for the role.  Only
 * one writer wakes, so a finished group causes no thundering herd. */
static void leader_handoff(oio_engine *e) {
    assert(!e->leader_busy);
    if (e->queue_head != NULL) pthread_cond_signal(&e->queue_head->cv);
    pthread_cond_broadcast(&e->commit_cv);
}

/* A put is writing its data; the next leader may wait for it (gather). */
void engine_writing_begin(oio_engine *e) {
    pthread_mutex_lock(&e->commit_mu);
    e->writing++;
    pthread_mutex_unlock(&e->commit_mu);
}

static void writing_end_locked(oio_engine *e) {
    assert(e->writing > 0);
    if (--e->writing == 0) pthread_cond_signal(&e->gather_cv);
}

void engine_writing_abort(oio_engine *e) {
    pthread_mutex_lock(&e->commit_mu);
    writing_end_locked(e);
    pthread_mutex_unlock(&e->commit_mu);
}

/* Leader, before taking the queue: let puts that are still writing their data
 * join this group rather than pay for a flush of their own (commit_mu held). */
static void leader_gather(oio_engine *e) {
    if (e->writing == 0) return;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += OIO_GROUP_COMMIT_GATHER_US_MAX * 1000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (e->writing > 0)
        if (pthread_cond_timedwait(&e->gather_cv, &e->commit_mu, &deadline) != 0) break;
}

int engine_commit(oio_engine *e, oio_walrec **recs, uint64_t count, int was_writing) {
    assert(e != NULL && recs != NULL && count > 0);
    commit_req me = {recs, count, 0, OIO_OK, NULL, PTHREAD_COND_INITIALIZER};
    pthread_mutex_lock(&e->commit_mu);
    if (was_writing) writing_end_locked(e);
    if (e->failed) {
        pthread_mutex_unlock(&e->commit_mu);
        return OIO_EIO;
    }
    if (e->queue_tail) e->queue_tail->next = &me; else e->queue_head = &me;
    e->queue_tail = &me;
    while (!me.done) {
        if (e->leader_busy) {
            pthread_cond_wait(&me.cv, &e->commit_mu);
            continue;
        }
        e->leader_busy = 1;
        leader_gather(e);
        leader_run(e);
        e->leader_busy = 0;
        leader_handoff(e);
    }
    pthread_mutex_unlock(&e->commit_mu);
    pthread_cond_destroy(&me.cv);
    return me.rc;
}

static void leader_acquire(oio_engine *e) {
    pthread_mutex_lock(&e->commit_mu);
    while (e->leader_busy) pthread_cond_wait(&e->commit_cv, &e->commit_mu);
    e->leader_busy = 1;
    pthread_mutex_unlock(&e->commit_mu);
}

static void leader_release(oio_engine *e) {
    pthread_mutex_lock(&e->commit_mu);
    assert(e->leader_busy);
    e->leader_busy = 0;
    leader_handoff(e);
    pthread_mutex_unlock(&e->commit_mu);
}

void engine_writer_enter(oio_engine *e) {
    pthread_mutex_lock(&e->commit_mu);
    while (e->writers >= OIO_INFLIGHT_WRITERS_MAX) pthread_cond_wait(&e->writers_cv, &e->commit_mu);
    e->writers++;
    pthread_mutex_unlock(&e->commit_mu);
}

void engine_writer_exit(oio_engine *e) {
    pthread_mutex_lock(&e->commit_mu);
    assert(e->writers > 0);
    if (e->writers-- == OIO_INFLIGHT_WRITERS_MAX) pthread_cond_signal(&e->writers_cv);
    pthread_mutex_unlock(&e->commit_mu);
}

/* ---- recovery ---------------------------------------------------------- */
typedef struct rebuild_ctx {
    oio_engine *e;
    uint64_t pages;
    uint64_t records;
} rebuild_ctx;

static void rebuild_page(void *ctx, uint64_t blk, uint32_t level, int corrupt) {
    rebuild_ctx *c = ctx;
    (void)level;
    (void)corrupt; /* a corrupt page keeps its block: reusing it could make it look valid */
    if (alloc_contains(&c->e->alloc, blk, 1)) alloc_mark(&c->e->alloc, blk, 1);
    c->pages++;
}

static int rebuild_leaf(void *ctx, const uint8_t *key, uint32_t key_len, const oio_leafval *v) {
    rebuild_ctx *c = ctx;
    (void)key;
    (void)key_len;
    if (v->length <= OIO_EXTENT_BYTES_MAX && alloc_contains(&c->e->alloc, v->extent_blk, extent_blocks(v->length)))
        alloc_mark(&c->e->alloc, v->extent_blk, extent_blocks(v->length));
    c->records++;
    return 0;
}

/* Allocator := blocks reachable from the in-memory tree + pending page frees. */
static void rebuild_alloc(oio_engine *e) {
    rebuild_ctx c = {e, 0, 0};
    alloc_clear(&e->alloc);
    bt_walk(&e->bt, rebuild_page, rebuild_leaf, &c);
    for (uint64_t i = 0; i < e->bt.pending_count; i++) alloc_mark(&e->alloc, e->bt.pending_free[i], 1);
    e->bt.page_count = c.pages;
    e->object_count = c.records;
}

typedef struct replay_vec {
    oio_walrec *recs;
    uint64_t count, cap;
} replay_vec;

static int replay_collect(void *ctx, const oio_walrec *rec) {
    replay_vec *v = ctx;
    if (v->count == v->cap) {
        uint64_t cap = v->cap ? v->cap * 2 : 256;
        oio_walrec *n = realloc(v->recs, cap * sizeof(*n));
        if (n == NULL) return OIO_NOMEM;
        v->recs = n;
        v->cap = cap;
    }
    v->recs[v->count++] = *rec;
    return OIO_OK;
}

/* OIO_OK when the put's header and every data chunk match its WAL record. */
static int replay_check_data(oio_engine *e, const oio_walrec *r) {
    uint64_t nblk = extent_blocks(r->length);
    if (!alloc_contains(&e->alloc, r->extent_blk, nblk)) return OIO_CORRUPT;
    uint8_t *buf = bufpool_get(&e->pool, nblk * OIO_BLOCK_BYTES);
    if (buf == NULL) return OIO_NOMEM;
    oio_xhdr *h = malloc(sizeof(*h));
    int rc = h == NULL ? OIO_NOMEM : e->io->pread(e->io, buf, nblk * OIO_BLOCK_BYTES, r->extent_blk * OIO_BLOCK_BYTES);
    if (rc == OIO_OK) rc = extent_parse_header(buf, r->extent_blk, r->hdr_crc, h);
    if (rc == OIO_OK && (h->length != r->length || h->key_len != r->key_len || memcmp(h->key, r->key, r->key_len)))
        rc = OIO_CORRUPT;
    if (rc == OIO_OK && h->chunk_count > 0) rc = extent_check_chunks(h, buf + OIO_BLOCK_BYTES, 0, h->chunk_count - 1);
    free(h);
    bufpool_put(&e->pool, buf);
    return rc;
}

static int replay_apply(oio_engine *e, replay_vec *v) {
    uint64_t last_group = v->count > 0 ? v->recs[v->count - 1].group_lsn : 0;
    for (uint64_t i = 0; i < v->count; i++) {
        oio_walrec *r = &v->recs[i];
        if (r->generation >= e->next_generation) e->next_generation = r->generation + 1;
        /* only the last group's flush may not have completed (wal.c) */
        int check = r->type == OIO_WAL_PUT && r->group_lsn == last_group;
        int rc = check ? replay_check_data(e, r) : OIO_OK;
        if (rc == OIO_CORRUPT) continue; /* never durable, or superseded */
        if (rc == OIO_OK) rc = apply_record(e, r);
        if (rc == OIO_CORRUPT) continue; /* the key's B-tree page is unreadable */
        if (rc != OIO_OK) return rc;
        e->replayed_records++;
    }
    return OIO_OK;
}

static int recover(oio_engine *e) {
    e->replaying = 1;
    rebuild_alloc(e);
    e->next_generation = e->sb.next_generation;
    replay_vec v = {NULL, 0, 0};
    uint64_t n = 0;
    int rc = wal_replay(&e->wal, replay_collect, &v, &n);
    for (uint64_t i = 0; rc == OIO_OK && i < v.count; i++) {
        oio_walrec *r = &v.recs[i];
        if (r->type == OIO_WAL_PUT && r->length <= OIO_EXTENT_BYTES_MAX &&
            alloc_contains(&e->alloc, r->extent_blk, extent_blocks(r->length)))
            alloc_mark(&e->alloc, r->extent_blk, extent_blocks(r->length));
    }
    pthread_mutex_lock(&e->index_mu);
    if (rc == OIO_OK) rc = replay_apply(e, &v);
    pthread_mutex_unlock(&e->index_mu);
    free(v.recs);
    e->replaying = 0;
    if (rc != OIO_OK) return rc;
    rebuild_alloc(e);
    return checkpoint(e);
}

/* ---- open / close ------------------------------------------------------ */
static int gather_cv_init(pthread_cond_t *cv) {
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc == 0) rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) rc = pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

static void engine_free(oio_engine *e) {
    bt_destroy(&e->bt);
    if (e->alloc.bits) alloc_destroy(&e->alloc);
    arc_destroy(e->arc);
    oio_buf_free(e->wal.frame_buf);
    bufpool_destroy(&e->pool);
    if (e->io) e->io->destroy(e->io);
    dev_close(&e->dev);
    pthread_mutex_destroy(&e->index_mu);
    pthread_mutex_destroy(&e->commit_mu);
    pthread_cond_destroy(&e->commit_cv);
    pthread_cond_destroy(&e->writers_cv);
    pthread_cond_destroy(&e->gather_cv);
    pthread_mutex_destroy(&e->life_mu);
    pthread_cond_destroy(&e->life_cv);
    free(e);
}

static int engine_setup(oio_engine *e, const char *path, const oio_open_opts *o) {
    int rc = dev_open(path, &e->dev);
    if (rc != OIO_OK) return rc;
    rc = io_posix_create(e->dev.fd, &e->io);
    if (rc == OIO_OK && o->fault_enabled) {
        oio_io *inner = e->io;
        rc = io_fault_create(inner, o->fault_seed, o->fault_cut_after_ops, &e->io);
        if (rc != OIO_OK) e->io = inner;
    }
    if (rc == OIO_OK) rc = sb_read_best(e->io, &e->sb);
    if (rc == OIO_OK && e->sb.capacity_bytes > e->dev.size_bytes) rc = OIO_INVALID;
    if (rc == OIO_OK) rc = arc_create(e->cache_capacity_bytes, &e->arc);
    if (rc == OIO_OK) rc = alloc_init(&e->alloc, e->sb.data_off / OIO_BLOCK_BYTES, e->sb.data_blocks);
    if (rc == OIO_OK) rc = bt_init(&e->bt, e->io, e->arc, &e->alloc);
    if (rc != OIO_OK) return rc;
    e->bt.root_blk = e->sb.root_blk;
    e->bt.root_crc = e->sb.root_crc;
    e->bt.height = e->sb.tree_height;
    e->bt.ckpt_seq = e->sb.ckpt_seq;
    e->wal.io = e->io;
    e->wal.region_off = e->sb.wal_off;
    e->wal.region_bytes = e->sb.wal_bytes;
    e->wal.epoch = e->sb.wal_epoch;
    e->wal.start_lsn = e->wal.tail_lsn = e->sb.wal_start_lsn;
    e->wal.frame_buf = oio_buf_alloc(OIO_WAL_FRAME_BYTES_MAX + OIO_BLOCK_BYTES);
    return e->wal.frame_buf == NULL ? OIO_NOMEM : OIO_OK;
}

int oio_open(const char *path, const oio_open_opts *opts, oio_engine **out) {
    if (path == NULL || opts == NULL || out == NULL) return OIO_INVALID;
    uint64_t cache = opts->cache_bytes ? opts->cache_bytes : OIO_CACHE_BYTES_DEFAULT;
    if (cache < OIO_CACHE_BYTES_MIN) return OIO_INVALID;
    oio_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) return OIO_NOMEM;
    e->dev.fd = -1;
    e->cache_capacity_bytes = cache;
    if (pthread_mutex_init(&e->index_mu, NULL) != 0 || pthread_mutex_init(&e->commit_mu, NULL) != 0 ||
        pthread_cond_init(&e->commit_cv, NULL) != 0 || pthread_cond_init(&e->writers_cv, NULL) != 0 ||
        gather_cv_init(&e->gather_cv) != 0 || bufpool_init(&e->pool) != OIO_OK ||
        pthread_mutex_init(&e->life_mu, NULL) != 0 || pthread_cond_init(&e->life_cv, NULL) != 0) {
        free(e); /* Linux never fails these with NULL attributes; nothing to destroy */
        return OIO_NOMEM;
    }
    int rc = engine_setup(e, path, opts);
    if (rc == OIO_OK) rc = recover(e);
    if (rc != OIO_OK) {
        engine_free(e);
        return rc;
    }
    *out = e;
    return OIO_OK;
}

int oio_close(oio_engine *e) {
    if (e == NULL) return OIO_INVALID;
    pthread_mutex_lock(&e->life_mu);
    e->closing = 1;
    while (e->calls > 0) pthread_cond_wait(&e->life_cv, &e->life_mu);
    pthread_mutex_unlock(&e->life_mu);
    leader_acquire(e);
    int rc = e->failed ? OIO_OK : checkpoint(e);
    leader_release(e);
    engine_free(e);
    return rc;
}

int oio_sync(oio_engine *e) {
    if (e == NULL) return OIO_INVALID;
    int rc = engine_call_enter(e);
    if (rc != OIO_OK) return rc;
    leader_acquire(e);
    rc = checkpoint(e);
    leader_release(e);
    engine_call_exit(e);
    return rc;
}

int oio_power_cut(oio_engine *e) {
    if (e == NULL) return OIO_INVALID;
    return io_fault_cut(e->io);
}

/* ---- information ------------------------------------------------------- */
static void sb_info(const oio_sb *sb, oio_sb_info *out) {
    memcpy(out->disk_uuid, sb->disk_uuid, 16);
    memcpy(out->cluster_id, sb->cluster_id, 16);
    out->osd_id = sb->osd_id;
    out->block_size = sb->block_size;
    out->format_version = sb->format_version;
    out->capacity_bytes = sb->capacity_bytes;
}

int oio_superblock(oio_engine *e, oio_sb_info *out) {
    if (e == NULL || out == NULL) return OIO_INVALID;
    pthread_mutex_lock(&e->index_mu);
    sb_info(&e->sb, out);
    pthread_mutex_unlock(&e->index_mu);
    return OIO_OK;
}

int oio_stats_get(oio_engine *e, oio_stats *out) {
    if (e == NULL || out == NULL) return OIO_INVALID;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&e->commit_mu);
    out->group_commits = e->group_commits;
    out->group_commit_records = e->group_commit_records;
    out->flushes = e->flushes;
    out->checkpoints = e->checkpoints;
    out->replayed_records = e->replayed_records;
    pthread_mutex_unlock(&e->commit_mu);
    pthread_mutex_lock(&e->index_mu);
    out->capacity_bytes = e->sb.capacity_bytes;
    out->object_count = e->object_count;
    out->btree_pages = e->bt.page_count;
    out->btree_dirty_pages = e->bt.dirty.count;
    out->wal_bytes = e->wal.tail_lsn - e->wal.start_lsn;
    out->wal_capacity_bytes = e->wal.region_bytes;
    pthread_mutex_unlock(&e->index_mu);
    pthread_mutex_lock(&e->alloc.mu);
    out->free_bytes = e->alloc.free_blocks * OIO_BLOCK_BYTES;
    pthread_mutex_unlock(&e->alloc.mu);
    out->used_bytes = out->capacity_bytes - out->free_bytes;
    out->cache_capacity_bytes = e->cache_capacity_bytes;
    arc_stats(e->arc, &out->cache_bytes, &out->cache_hits, &out->cache_misses, &out->cache_evictions);
    return OIO_OK;
}

typedef struct pages_ctx {
    uint64_t *blocks;
    uint32_t *levels;
    uint32_t cap, count;
} pages_ctx;

static void pages_visit(void *ctx, uint64_t blk, uint32_t level, int corrupt) {
    pages_ctx *c = ctx;
    (void)corrupt;
    if (c->count < c->cap) {
        c->blocks[c->count] = blk;
        c->levels[c->count] = level;
    }
    c->count++;
}

static int pages_leaf(void *ctx, const uint8_t *k, uint32_t kl, const oio_leafval *v) {
    (void)ctx, (void)k, (void)kl, (void)v;
    return 0;
}

int oio_debug_pages(oio_engine *e, uint64_t *blocks, uint32_t *levels, uint32_t cap, uint32_t *count_out) {
    if (e == NULL || blocks == NULL || levels == NULL || count_out == NULL) return OIO_INVALID;
    pages_ctx c = {blocks, levels, cap, 0};
    pthread_mutex_lock(&e->index_mu);
    bt_walk(&e->bt, pages_visit, pages_leaf, &c);
    pthread_mutex_unlock(&e->index_mu);
    *count_out = c.count;
    return c.count > cap ? OIO_RANGE : OIO_OK;
}

/* ---- format ------------------------------------------------------------ */
static int format_write(oio_io *io, oio_sb *sb) {
    /* wipe foreign signatures the superblocks do not cover (up to 132 KiB) */
    uint64_t wipe = 128u << 10;
    uint8_t *zero = oio_buf_alloc(wipe);
    if (zero == NULL) return OIO_NOMEM;
    memset(zero, 0, wipe);
    int rc = io->pwrite(io, zero, wipe, 2 * OIO_BLOCK_BYTES);
    oio_buf_free(zero);
    for (uint64_t seq = 0; rc == OIO_OK && seq < 2; seq++) {
        sb->ckpt_seq = seq;
        rc = sb_write(io, sb);
    }
    if (rc == OIO_OK) rc = io->flush(io);
    return rc;
}

int oio_format(const char *path, uint64_t osd_id, const uint8_t cluster_id[16], int force, oio_sb_info *out) {
    if (path == NULL || cluster_id == NULL || out == NULL) return OIO_INVALID;
    oio_device dev;
    int rc = dev_open(path, &dev);
    if (rc != OIO_OK) return rc;
    oio_sb sb;
    memset(&sb, 0, sizeof(sb));
    rc = dev_check_unused(path, &dev);
    if (rc == OIO_OK && !force) rc = dev_check_signatures(&dev);
    if (rc == OIO_OK) rc = sb_layout(dev.size_bytes, &sb);
    if (rc == OIO_OK) rc = dev_random(sb.disk_uuid, 16);
    if (rc == OIO_OK) rc = dev_random((uint8_t *)&sb.wal_epoch, sizeof(sb.wal_epoch));
    oio_io *io = NULL;
    if (rc == OIO_OK) rc = io_posix_create(dev.fd, &io);
    if (rc == OIO_OK) {
        sb.disk_uuid[6] = (uint8_t)((sb.disk_uuid[6] & 0x0F) | 0x40); /* UUID version 4 */
        sb.disk_uuid[8] = (uint8_t)((sb.disk_uuid[8] & 0x3F) | 0x80);
        memcpy(sb.cluster_id, cluster_id, 16);
        sb.osd_id = osd_id;
        sb.wal_epoch >>= 1; /* leave room to count up */
        sb.next_generation = 1;
        rc = format_write(io, &sb);
    }
    if (io != NULL) io->destroy(io);
    dev_close(&dev);
    if (rc == OIO_OK) sb_info(&sb, out);
    return rc;
}

const char *oio_strerror(int rc) {
    switch (rc) {
    case OIO_OK: return "ok";
    case OIO_NOT_FOUND: return "not found";
    case OIO_CORRUPT: return "checksum mismatch (corrupt)";
    case OIO_NOSPC: return "no space left on device";
    case OIO_EIO: return "device I/O error";
    case OIO_INVALID: return "invalid argument or not an engine device";
    case OIO_TOO_BIG: return "too big";
    case OIO_BUSY: return "device busy (mounted, in use, or holds a filesystem)";
    case OIO_EXISTS: return "exists";
    case OIO_NOMEM: return "out of memory";
    case OIO_RANGE: return "buffer too small";
    case OIO_CLOSED: return "engine closed";
    case OIO_MISS: return "not in the cache";
    default: return "unknown error";
    }
}
