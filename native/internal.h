/*
 * internal.h — types shared between the engine's C files.  Nothing here is
 * part of the Python-visible interface (that is engine.h).
 *
 * Lock order (outer to inner): commit_mu -> index_mu -> alloc.mu -> arc.mu.
 * commit_mu is never held across I/O; the "leader" role it hands out is.
 */
#ifndef OIO_INTERNAL_H
#define OIO_INTERNAL_H

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"

#define OIO_CHUNKS_PER_EXTENT_MAX (OIO_EXTENT_BYTES_MAX / OIO_CHUNK_BYTES) /* 128 */
#define OIO_TREE_HEIGHT_MAX 16u
#define OIO_SB_BLOCKS 16u                       /* blocks before the WAL    */

static inline uint64_t oio_div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
static inline uint64_t oio_round_up(uint64_t a, uint64_t b) { return oio_div_up(a, b) * b; }
static inline int oio_aligned(uint64_t v) { return v % OIO_BLOCK_BYTES == 0; }

/* Little-endian field access (the format is little-endian). */
static inline void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* crc32c of A||B from crc32c(A), crc32c(B) and len(B). */
uint32_t oio_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
/* Same for len(B) == OIO_CHUNK_BYTES, with a precomputed operator (fast). */
uint32_t oio_crc32c_combine_chunk(uint32_t crc_a, uint32_t crc_b);

/* Checksum of a block whose own crc field sits at crc_off (taken as zero). */
uint32_t oio_block_crc(const uint8_t *block, size_t len, size_t crc_off);

/* ---- io.c: the one narrow I/O layer ------------------------------------ */
typedef struct oio_io oio_io;
struct oio_io {
    int (*pread)(oio_io *io, void *buf, size_t len, uint64_t off);
    int (*pwrite)(oio_io *io, const void *buf, size_t len, uint64_t off);
    int (*flush)(oio_io *io);
    void (*destroy)(oio_io *io);
};
void *oio_buf_alloc(size_t len);   /* 4 KiB aligned, NOT zeroed; NULL on ENOMEM */
void oio_buf_free(void *buf);
int io_posix_create(int fd, oio_io **out);
int io_fault_create(oio_io *inner, uint64_t seed, uint64_t cut_after_ops, oio_io **out);
int io_fault_cut(oio_io *io);      /* simulate power loss now              */

/* ---- bufpool.c: recycled aligned I/O buffers ----------------------------- */
#define BUFPOOL_SLOTS 64u
typedef struct oio_bufpool {
    pthread_mutex_t mu;
    void *bufs[BUFPOOL_SLOTS];
    uint32_t count;
    uint64_t bytes;
} oio_bufpool;
int bufpool_init(oio_bufpool *p);
void bufpool_destroy(oio_bufpool *p);
void *bufpool_get(oio_bufpool *p, uint64_t len); /* 4 KiB aligned, not zeroed */
void bufpool_put(oio_bufpool *p, void *buf);

/* ---- device.c ---------------------------------------------------------- */
typedef struct oio_device {
    int fd;
    int is_block;
    uint64_t size_bytes;
    uint32_t logical_block_bytes;
} oio_device;
int dev_open(const char *path, oio_device *out);
int dev_check_unused(const char *path, const oio_device *dev);
int dev_check_signatures(const oio_device *dev);
void dev_close(oio_device *dev);
int dev_random(uint8_t *buf, size_t len);

/* ---- superblock.c ------------------------------------------------------ */
typedef struct oio_sb {
    uint8_t disk_uuid[16];
    uint8_t cluster_id[16];
    uint64_t osd_id;
    uint32_t block_size;
    uint32_t format_version;
    uint64_t capacity_bytes;
    uint64_t wal_off;
    uint64_t wal_bytes;
    uint64_t data_off;
    uint64_t data_blocks;
    uint64_t ckpt_seq;
    uint64_t root_blk;
    uint32_t root_crc;
    uint32_t tree_height;
    uint64_t wal_start_lsn;
    uint64_t wal_epoch;
    uint64_t object_count;
    uint64_t next_generation;
} oio_sb;
int sb_layout(uint64_t capacity_bytes, oio_sb *sb);
int sb_write(oio_io *io, const oio_sb *sb);  /* copy ckpt_seq % 2, no flush */
int sb_read_best(oio_io *io, oio_sb *out);

/* ---- alloc.c ----------------------------------------------------------- */
typedef struct oio_alloc {
    pthread_mutex_t mu;
    uint64_t first_blk;     /* device block number of bit 0 */
    uint64_t nblocks;
    uint64_t free_blocks;
    uint64_t reserve_blocks; /* kept for B-tree pages: data may not use them */
    uint64_t cursor;
    uint64_t *bits;          /* 1 = used */
} oio_alloc;
int alloc_init(oio_alloc *a, uint64_t first_blk, uint64_t nblocks);
void alloc_destroy(oio_alloc *a);
void alloc_clear(oio_alloc *a);
int alloc_take(oio_alloc *a, uint64_t n, int for_metadata, uint64_t *blk_out);
void alloc_mark(oio_alloc *a, uint64_t blk, uint64_t n);
void alloc_release(oio_alloc *a, uint64_t blk, uint64_t n);
int alloc_contains(const oio_alloc *a, uint64_t blk, uint64_t n);

/* ---- hmap.c: u64 -> pointer, open addressing, key 0 is reserved ------- */
typedef struct oio_hmap {
    uint64_t *keys;
    void **vals;
    uint64_t cap;   /* power of two */
    uint64_t count;
} oio_hmap;
int hmap_init(oio_hmap *m, uint64_t cap);
void hmap_destroy(oio_hmap *m);
void *hmap_get(const oio_hmap *m, uint64_t key);
int hmap_put(oio_hmap *m, uint64_t key, void *val);
void *hmap_del(oio_hmap *m, uint64_t key);

/* ---- arc.c ------------------------------------------------------------- */
typedef struct oio_arc oio_arc;
int arc_create(uint64_t capacity_bytes, oio_arc **out);
void arc_destroy(oio_arc *arc);
int arc_get(oio_arc *arc, uint64_t key, void *buf, uint32_t cap, uint32_t *len_out);
/* arc_get for cache-only lookups that a regular read may repeat: a miss is never
 * counted (the regular read counts it), a hit only when count_hit. */
int arc_get_quiet(oio_arc *arc, uint64_t key, void *buf, uint32_t cap, uint32_t *len_out, int count_hit);
void arc_put(oio_arc *arc, uint64_t key, const void *buf, uint32_t len);
void arc_drop(oio_arc *arc, uint64_t key);
void arc_stats(oio_arc *arc, uint64_t *bytes, uint64_t *hits, uint64_t *misses, uint64_t *evictions);

/* ---- btree.c ----------------------------------------------------------- */
typedef struct oio_leafval {
    uint64_t extent_blk;
    uint32_t length;
    uint32_t data_crc;
    uint32_t hdr_crc;
    uint32_t flags;
    uint64_t generation;
    uint16_t meta_len;
} oio_leafval;

typedef struct oio_btree {
    oio_io *io;
    oio_arc *arc;
    oio_alloc *alloc;
    uint64_t root_blk;      /* 0: empty tree */
    uint32_t root_crc;      /* crc32c of the root page as last written */
    uint32_t height;        /* 0: empty, 1: root is a leaf */
    uint64_t ckpt_seq;      /* stamped into pages written by the next ckpt */
    uint64_t page_count;
    oio_hmap dirty;         /* blk -> 4 KiB page written since last ckpt */
    uint64_t *pending_free; /* blocks of the durable tree replaced by CoW */
    uint64_t pending_count;
    uint64_t pending_cap;
} oio_btree;

typedef int (*bt_visit_fn)(void *ctx, const uint8_t *key, uint32_t key_len, const oio_leafval *v);
typedef void (*bt_page_fn)(void *ctx, uint64_t blk, uint32_t level, int corrupt);

int bt_init(oio_btree *bt, oio_io *io, oio_arc *arc, oio_alloc *alloc);
void bt_destroy(oio_btree *bt);
int bt_lookup(oio_btree *bt, const uint8_t *key, uint32_t key_len, oio_leafval *out);
/* Same, from dirty and cached pages only: OIO_MISS when a page on the path is
 * in neither (never reads the device). */
int bt_lookup_cached(oio_btree *bt, const uint8_t *key, uint32_t key_len, oio_leafval *out);
int bt_upsert(oio_btree *bt, const uint8_t *key, uint32_t key_len, const oio_leafval *v,
              oio_leafval *old, int *had_old);
int bt_remove(oio_btree *bt, const uint8_t *key, uint32_t key_len, oio_leafval *old);
int bt_scan(oio_btree *bt, const uint8_t *from, uint32_t from_len, int inclusive, bt_visit_fn fn,
            void *ctx);
void bt_walk(oio_btree *bt, bt_page_fn page_fn, bt_visit_fn leaf_fn, void *ctx);
int bt_write_dirty(oio_btree *bt);
void bt_checkpoint_done(oio_btree *bt);
int bt_pending_free_reserve(oio_btree *bt);

/* ---- extent.c: record header block + data blocks ----------------------- */
typedef struct oio_xhdr {
    uint64_t self_blk;
    uint32_t length;
    uint32_t data_crc;
    uint32_t flags;
    uint16_t key_len;
    uint16_t meta_len;
    uint16_t chunk_count;
    uint8_t key[OIO_KEY_BYTES_MAX];
    uint8_t meta[OIO_META_BYTES_MAX];
    uint32_t chunk_crc[OIO_CHUNKS_PER_EXTENT_MAX];
} oio_xhdr;
uint64_t extent_blocks(uint64_t length);
uint32_t extent_build(uint8_t *buf, uint64_t blk, const uint8_t *key, uint32_t key_len,
                      const uint8_t *meta, uint32_t meta_len, const uint8_t *data, uint32_t length,
                      uint32_t *data_crc_out);
int extent_parse_header(const uint8_t *block, uint64_t blk, uint32_t hdr_crc, oio_xhdr *out);
int extent_check_chunks(const oio_xhdr *h, const uint8_t *data, uint32_t first_chunk,
                        uint32_t last_chunk);

/* ---- wal.c ------------------------------------------------------------- */
#define OIO_WAL_PUT 1
#define OIO_WAL_DELETE 2
typedef struct oio_walrec {
    uint8_t type;
    uint16_t key_len;
    uint32_t flags;
    uint64_t generation;
    uint64_t extent_blk;
    uint32_t length;
    uint32_t data_crc;
    uint32_t hdr_crc;
    uint16_t meta_len;
    uint8_t key[OIO_KEY_BYTES_MAX];
    int result;               /* filled when applied (not on disk) */
    uint64_t group_lsn;       /* replay only: the frame's group_lsn */
} oio_walrec;
typedef struct oio_wal {
    oio_io *io;
    uint64_t region_off;
    uint64_t region_bytes;
    uint64_t epoch;
    uint64_t start_lsn;       /* oldest byte still needed (last ckpt) */
    uint64_t tail_lsn;        /* next frame goes here */
    uint64_t group_lsn;       /* first frame of the group being written */
    uint8_t *frame_buf;       /* OIO_WAL_FRAME_BYTES_MAX, aligned */
} oio_wal;
typedef int (*wal_record_fn)(void *ctx, const oio_walrec *rec);
uint64_t wal_record_bytes(const oio_walrec *rec);
uint64_t wal_bytes_bound(uint64_t records, uint64_t payload_bytes);
uint64_t wal_free_bytes(const oio_wal *w);
int wal_append(oio_wal *w, oio_walrec *const *recs, uint64_t count);
int wal_replay(oio_wal *w, wal_record_fn fn, void *ctx, uint64_t *records_out);

/* ---- engine.c: the engine object, shared with records.c ---------------- */
typedef struct commit_req {
    oio_walrec **recs;
    uint64_t count;
    int done;
    int rc;
    struct commit_req *next;
    pthread_cond_t cv; /* signalled when done, or when it should lead */
} commit_req;

struct oio_engine {
    oio_device dev;
    oio_io *io;
    oio_sb sb;
    oio_alloc alloc;
    oio_arc *arc;
    oio_btree bt;
    oio_wal wal;
    oio_bufpool pool;
    uint64_t cache_capacity_bytes;
    pthread_mutex_t index_mu;   /* bt, object_count */
    pthread_mutex_t commit_mu;  /* queue, leader_busy, writers, counters */
    pthread_cond_t commit_cv;   /* sync()/close() waiting for the leader role */
    pthread_cond_t writers_cv;  /* writers waiting for an inflight slot */
    pthread_cond_t gather_cv;   /* leader waiting for data writers to queue */
    uint32_t writing;           /* puts writing data, not yet queued */
    commit_req *queue_head, *queue_tail;
    int leader_busy;
    uint32_t writers;
    pthread_mutex_t life_mu;    /* calls in flight vs close */
    pthread_cond_t life_cv;
    uint32_t calls;
    int closing;
    volatile int failed;
    int replaying;
    uint64_t object_count;
    uint64_t next_generation;
    uint64_t group_commits, group_commit_records, flushes, checkpoints, replayed_records;
};

int engine_commit(oio_engine *e, oio_walrec **recs, uint64_t count, int was_writing);
void engine_writing_begin(oio_engine *e);
void engine_writing_abort(oio_engine *e);
void engine_extent_free(oio_engine *e, uint64_t blk, uint32_t length);
int engine_call_enter(oio_engine *e);
void engine_call_exit(oio_engine *e);
void engine_writer_enter(oio_engine *e);
void engine_writer_exit(oio_engine *e);
static inline int key_ok(const uint8_t *key, uint32_t key_len) {
    return key != NULL && key_len > 0 && key_len <= OIO_KEY_BYTES_MAX;
}

#endif
