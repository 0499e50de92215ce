"""cffi (API mode, out-of-line) build of the native storage engine.

Compiles the C files of native/ into ``objectio.native._engine``.  The cdef below is the
subset of engine.h that Python calls; constants are declared with ``...`` so their values
come from the C header at compile time and are never duplicated here.
"""

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
SOURCES = [
    "crc32c.c",
    "io.c",
    "device.c",
    "superblock.c",
    "alloc.c",
    "bufpool.c",
    "hmap.c",
    "arc.c",
    "extent.c",
    "wal.c",
    "btree.c",
    "engine.c",
    "records.c",
]

CDEF = """
#define OIO_BLOCK_BYTES ...
#define OIO_KEY_BYTES_MAX ...
#define OIO_META_BYTES_MAX ...
#define OIO_EXTENT_BYTES_MAX ...
#define OIO_CHUNK_BYTES ...
#define OIO_WAL_BYTES_MAX ...
#define OIO_WAL_BYTES_MIN ...
#define OIO_WAL_FRAME_BYTES_MAX ...
#define OIO_CACHE_BYTES_DEFAULT ...
#define OIO_CACHE_BYTES_MIN ...
#define OIO_BUFPOOL_BYTES_MAX ...
#define OIO_CACHE_RECORD_BYTES_MAX ...
#define OIO_CACHE_WRITE_BYTES_MAX ...
#define OIO_INFLIGHT_WRITERS_MAX ...
#define OIO_GROUP_COMMIT_GATHER_US_MAX ...
#define OIO_PUT_MANY_ITEMS_MAX ...
#define OIO_SCAN_LIMIT_MAX ...
#define OIO_DEVICE_BYTES_MIN ...
#define OIO_DIRTY_PAGES_MAX ...
#define OIO_FORMAT_VERSION ...
#define OIO_FLAG_META_UNREADABLE ...

#define OIO_OK ...
#define OIO_NOT_FOUND ...
#define OIO_CORRUPT ...
#define OIO_NOSPC ...
#define OIO_EIO ...
#define OIO_INVALID ...
#define OIO_TOO_BIG ...
#define OIO_BUSY ...
#define OIO_EXISTS ...
#define OIO_NOMEM ...
#define OIO_RANGE ...
#define OIO_CLOSED ...
#define OIO_MISS ...

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
    uint8_t key[256];
    uint32_t key_len;
    uint32_t length;
    uint32_t crc32c;
    uint32_t flags;
    uint64_t generation;
    uint32_t meta_len;
    uint8_t meta[2048];
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
int oio_debug_pages(oio_engine *e, uint64_t *blocks, uint32_t *levels, uint32_t cap,
                    uint32_t *count_out);
int oio_debug_extent(oio_engine *e, const uint8_t *key, uint32_t key_len, uint64_t *offset_bytes_out);
const char *oio_strerror(int rc);
uint32_t oio_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t oio_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t oio_crc32c_hw(uint32_t crc, const void *buf, size_t len);
int oio_crc32c_hw_available(void);
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "objectio.native._engine",
    '#include "engine.h"',
    # setuptools wants paths relative to setup.py (the working directory of the build)
    sources=[os.path.relpath(HERE / name) for name in SOURCES],
    include_dirs=[os.path.relpath(HERE)],
    # Assertions stay on in every build: they are the engine's invariant checks.
    extra_compile_args=["-O2", "-Wall", "-Wextra", "-std=gnu11", "-pthread", "-UNDEBUG"],
    libraries=["pthread"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
