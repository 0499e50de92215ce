/*
 * engine.h — public interface of the ObjectIO per-disk storage engine.
 *
 * The engine owns one block device (or a regular file for development and
 * tests) and stores erasure-coded shard fragments durably under byte-string
 * keys.  docs/on-disk-format.md is the reader's version of the format that
 * the .c files describe in their header comments:
 *
 *   superblock.c  two superblock copies, checkpoint pointer
 *   wal.c         circular write-ahead log of group-commit frames
 *   btree.c       copy-on-write B-tree of 4 KiB checksummed pages
 *   extent.c      record header block + data blocks, per-64 KiB checksums
 *   alloc.c       in-memory block bitmap rebuilt from the tree at open
 *   arc.c         adaptive replacement cache (pages, headers, small records)
 *   bufpool.c     recycled 4 KiB-aligned I/O buffers
 *   io.c          the one narrow I/O layer (POSIX and fault-injecting)
 *   device.c      device probing and format-time safety checks
 *   engine.c      open/recovery, group commit, checkpoints
 *   records.c     put/get/delete/stat/scan/verify
 *
 * Every limit carries its unit in its name.  Python reads these constants
 * through cffi; they are never duplicated in Python.
 */
#ifndef OIO_ENGINE_H
#define OIO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* ---- Limits ------------------------------------------------------------ */
#define OIO_BLOCK_BYTES 4096              /* unit of every engine I/O        */
#define OIO_KEY_BYTES_MAX 256             /* shard key                       */
#define OIO_META_BYTES_MAX 2048           /* opaque per-record metadata blob */
#define OIO_EXTENT_BYTES_MAX (8u << 20)   /* data of one record (8 MiB)      */
#define OIO_CHUNK_BYTES (64u << 10)       /* one data crc32c per 64 KiB      */
#define OIO_WAL_BYTES_MAX (64u << 20)     /* WAL region ceiling (64 MiB)     */
#define OIO_WAL_BYTES_MIN (1u << 20)      /* WAL region floor (1 MiB)        */
#define OIO_WAL_FRAME_BYTES_MAX (256u << 10) /* one group-commit frame       */
#define OIO_CACHE_BYTES_DEFAULT (64u << 20)  /* ARC capacity default         */
#define OIO_CACHE_BYTES_MIN (256u << 10)     /* ARC capacity floor           */
#define OIO_BUFPOOL_BYTES_MAX (64u << 20)    /* recycled I/O buffers kept    */
#define OIO_CACHE_RECORD_BYTES_MAX (512u << 10) /* header + data a get reads
                                                  and caches whole         */
#define OIO_CACHE_WRITE_BYTES_MAX (64u << 10) /* header + data also cached when
                                                 written (small records)   */
#define OIO_INFLIGHT_WRITERS_MAX 256      /* concurrent put/delete callers   */
#define OIO_GROUP_COMMIT_GATHER_US_MAX 300 /* leader waits for writers still
                                              writing data, at most this long */
#define OIO_PUT_MANY_ITEMS_MAX 4096       /* records in one put_many call    */
#define OIO_SCAN_LIMIT_MAX 10000          /* records returned by one scan    */
#define OIO_DEVICE_BYTES_MIN (8u << 20)   /* smallest device format accepts  */
#define OIO_DIRTY_PAGES_MAX 4096          /* dirty B-tree pages before ckpt  */
#define OIO_FORMAT_VERSION 1

/* ---- Error codes (the one list; Python maps each to an exception) ------- */
#define OIO_OK 0
#define OIO_NOT_FOUND 1   /* key absent                                    */
#define OIO_CORRUPT 2     /* checksum/magic/self-address mismatch          */
#define OIO_NOSPC 3       /* no free extent large enough; store still fine */
#define OIO_EIO 4         /* device I/O failed; engine now refuses writes  */
#define OIO_INVALID 5     /* bad argument or not an engine device          */
#define OIO_TOO_BIG 6     /* key/meta/data larger than its limit           */
#define OIO_BUSY 7        /* mounted, in use, or holds a filesystem        */
#define OIO_EXISTS 8      /* reserved: create-only semantics               */
#define OIO_NOMEM 9       /* allocation failed                             */
#define OIO_RANGE 10      /* caller buffer too small; *len_out says needed */
#define OIO_CLOSED 11     /* engine closed or failed                       */
#define OIO_MISS 12       /* cache-only read: not served from the cache    */

/* ---- Record flags (oio_shard_info.flags) -------------------------------- */
#define OIO_FLAG_META_UNREADABLE 1 /* scan only: header unreadable, meta omitted */

typedef struct oio_engine oio_engine;

typedef struct oio_sb_info {
    uint8_t disk_uuid[16];
    uint8_t cluster_id[16];
    uint64_t osd_id;
    uint32_t block_size;
    uint32_t format_version;
    uint64_t capacity_bytes;
} oio_sb_info;

typedef struct oio_shard_info {
    uint8_t key[OIO_KEY_BYTES_MAX];
    uint32_t key_len;
    uint32_t length;
    uint32_t crc32c;
    uint32_t flags;
    uint64_t generation;
    uint32_t meta_len;
    uint8_t meta[OIO_META_BYTES_MAX];
} oio_shard_info;

typedef struct oio_put_item {
    const uint8_t *key;
    uint32_t key_len;
    const uint8_t *data;
    uint64_t data_len;
    const uint8_t *meta;
    uint32_t meta_len;
} oio_put_item;

typedef struct oio_stats {
    uint64_t capacity_bytes;
    uint64_t used_bytes;
    uint64_t free_bytes;
    uint64_t object_count;
    uint64_t wal_bytes;
    uint64_t wal_capacity_bytes;
    uint64_t btree_pages;
    uint64_t btree_dirty_pages;
    uint64_t cache_bytes;
    uint64_t cache_capacity_bytes;
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t cache_evictions;
    uint64_t group_commits;
    uint64_t group_commit_records;
    uint64_t flushes;
    uint64_t checkpoints;
    uint64_t replayed_records;
} oio_stats;

typedef struct oio_open_opts {
    uint64_t cache_bytes;
    /* Fault injection (tests only): when fault_enabled, every write goes
     * through a layer modelling a volatile disk cache; after
     * fault_cut_after_ops writes+flushes (0 = never) the power is cut. */
    int fault_enabled;
    uint64_t fault_seed;
    uint64_t fault_cut_after_ops;
} oio_open_opts;

int oio_format(const char *path, uint64_t osd_id, const uint8_t cluster_id[16], int force,
               oio_sb_info *out);
int oio_open(const char *path, const oio_open_opts *opts, oio_engine **out);
int oio_close(oio_engine *e);
int oio_superblock(oio_engine *e, oio_sb_info *out);
int oio_put(oio_engine *e, const uint8_t *key, uint32_t key_len, const uint8_t *data,
            uint64_t data_len, const uint8_t *meta, uint32_t meta_len, oio_shard_info *out);
int oio_put_many(oio_engine *e, const oio_put_item *items, uint32_t count, oio_shard_info *out);
int oio_get(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t offset, uint64_t length,
            uint8_t *buf, uint64_t buf_len, uint64_t *len_out);
/* Cache-only get: oio_get's result when the tree path and the whole record
 * (header + data <= 64 KiB) are in memory; it never reads the device and never
 * waits for the index lock (which a checkpoint holds across I/O).  Returns
 * what oio_get would (OIO_NOT_FOUND when the cached tree says so), or OIO_MISS
 * when it cannot answer from memory: the caller then does a regular oio_get.
 * Cheap enough to call on an event loop thread. */
int oio_get_cached(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t offset, uint64_t length,
                   uint8_t *buf, uint64_t buf_len, uint64_t *len_out);
int oio_stat(oio_engine *e, const uint8_t *key, uint32_t key_len, oio_shard_info *out);
int oio_delete(oio_engine *e, const uint8_t *key, uint32_t key_len);
int oio_scan(oio_engine *e, const uint8_t *prefix, uint32_t prefix_len, const uint8_t *start_after,
             uint32_t start_after_len, uint32_t limit, oio_shard_info *out, uint32_t *count_out);
int oio_verify(oio_engine *e, const uint8_t *key, uint32_t key_len);
int oio_sync(oio_engine *e);
int oio_stats_get(oio_engine *e, oio_stats *out);
int oio_power_cut(oio_engine *e);
int oio_debug_pages(oio_engine *e, uint64_t *blocks, uint32_t *levels, uint32_t cap, uint32_t *count_out);
int oio_debug_extent(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t *offset_bytes_out);
const char *oio_strerror(int rc);
uint32_t oio_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t oio_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t oio_crc32c_hw(uint32_t crc, const void *buf, size_t len);
int oio_crc32c_hw_available(void);

#endif
