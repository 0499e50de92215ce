/*
 * wal.c — circular write-ahead log of group-commit frames.
 *
 * Positions are LSNs: byte offsets in an endless log, monotonic for the
 * life of the device; LSN x lives at wal_off + x % wal_bytes.  The log
 * holds the frames in [start_lsn, tail_lsn); start_lsn is recorded in the
 * superblock by each checkpoint, which is what trims the log.
 *
 * Frame (one per group commit, 4 KiB aligned, never wraps the region end)
 *   off  size  field
 *   0    4     magic "OIWF"
 *   4    4     crc32c of bytes [8, 48 + payload_bytes)
 *   8    8     lsn of this frame (must equal its position in the log)
 *   16   8     epoch (must equal the superblock's wal_epoch)
 *   24   4     payload_bytes (<= 256 KiB - 48)
 *   28   4     record_count
 *   32   4     kind: 1 = records, 2 = skip to the next region start
 *   36   4     version (1)
 *   40   8     group_lsn: lsn of the first frame written before the same
 *               flush (all frames of one group commit share it)
 *   48   ...   records, then zero padding to the 4 KiB boundary
 *
 * Record (8-byte aligned inside the payload)
 *   0  1 type (1 put, 2 delete)   1  1 zero     2  2 key_len
 *   4  4 flags                    8  8 generation
 *   16 8 extent_blk (put)         24 4 length   28 4 data_crc
 *   32 4 hdr_crc                  36 2 meta_len 38 2 zero
 *   40 key_len key bytes, zero padding to 8
 *
 * Validity: a frame is valid when magic, version, lsn, epoch, size bounds
 * and crc all hold.  When a frame does not fit before the region end the
 * writer puts a 4 KiB skip frame there and continues at the next region
 * start; both are covered by the same flush.
 *
 * Recovery: read frames from start_lsn in order and stop at the first
 * invalid one; everything before it is the log.  A group's frames are
 * written only after the previous group's flush returned, so every group
 * but the last valid one is known durable, data included; only the last
 * group's records need their data checked (engine.c).  A frame torn by a crash
 * (or stale bytes of an older lap) fails lsn/epoch/crc, and no frame after
 * it was acknowledged, because acknowledgement waits for the flush that
 * covers every earlier frame.  Each checkpoint (and so each open) bumps
 * the epoch, so frames of an abandoned tail can never be read as new.
 *
 * Invariant: tail_lsn - start_lsn <= wal_bytes; frames are written only by
 * the commit leader, so appends are never concurrent.
 */
#include "internal.h"

#define WF_MAGIC 0x4657494Fu /* "OIWF" */
#define WF_VERSION 1u
#define WF_HDR_BYTES 48u
#define WF_KIND_RECORDS 1u
#define WF_KIND_SKIP 2u
#define WR_FIXED_BYTES 40u
#define WR_BYTES_MAX (WR_FIXED_BYTES + OIO_KEY_BYTES_MAX)

uint64_t wal_record_bytes(const oio_walrec *rec) {
    assert(rec != NULL && rec->key_len <= OIO_KEY_BYTES_MAX);
    return oio_round_up(WR_FIXED_BYTES + rec->key_len, 8);
}

uint64_t wal_bytes_bound(uint64_t records, uint64_t payload_bytes) {
    uint64_t usable = OIO_WAL_FRAME_BYTES_MAX - WF_HDR_BYTES - WR_BYTES_MAX;
    uint64_t frames = records == 0 ? 0 : oio_div_up(payload_bytes, usable);
    return payload_bytes + frames * (WF_HDR_BYTES + OIO_BLOCK_BYTES) + OIO_WAL_FRAME_BYTES_MAX;
}

uint64_t wal_free_bytes(const oio_wal *w) {
    assert(w->tail_lsn >= w->start_lsn && w->tail_lsn - w->start_lsn <= w->region_bytes);
    return w->region_bytes - (w->tail_lsn - w->start_lsn);
}

static void record_encode(const oio_walrec *r, uint8_t *p) {
    uint64_t n = wal_record_bytes(r);
    memset(p, 0, n);
    p[0] = r->type;
    put_u16(p + 2, r->key_len);
    put_u32(p + 4, r->flags);
    put_u64(p + 8, r->generation);
    put_u64(p + 16, r->extent_blk);
    put_u32(p + 24, r->length);
    put_u32(p + 28, r->data_crc);
    put_u32(p + 32, r->hdr_crc);
    put_u16(p + 36, r->meta_len);
    memcpy(p + WR_FIXED_BYTES, r->key, r->key_len);
}

static int record_decode(const uint8_t *p, uint64_t avail, oio_walrec *r) {
    if (avail < WR_FIXED_BYTES) return OIO_CORRUPT;
    memset(r, 0, sizeof(*r));
    r->type = p[0];
    r->key_len = get_u16(p + 2);
    if ((r->type != OIO_WAL_PUT && r->type != OIO_WAL_DELETE) || r->key_len == 0 ||
        r->key_len > OIO_KEY_BYTES_MAX || wal_record_bytes(r) > avail)
        return OIO_CORRUPT;
    r->flags = get_u32(p + 4);
    r->generation = get_u64(p + 8);
    r->extent_blk = get_u64(p + 16);
    r->length = get_u32(p + 24);
    r->data_crc = get_u32(p + 28);
    r->hdr_crc = get_u32(p + 32);
    r->meta_len = get_u16(p + 36);
    memcpy(r->key, p + WR_FIXED_BYTES, r->key_len);
    if (r->length > OIO_EXTENT_BYTES_MAX || r->meta_len > OIO_META_BYTES_MAX) return OIO_CORRUPT;
    return OIO_OK;
}

static void frame_header(uint8_t *f, uint64_t lsn, uint64_t epoch, uint32_t payload, uint32_t count,
                         uint32_t kind, uint64_t group_lsn) {
    put_u32(f, WF_MAGIC);
    put_u64(f + 8, lsn);
    put_u64(f + 16, epoch);
    put_u32(f + 24, payload);
    put_u32(f + 28, count);
    put_u32(f + 32, kind);
    put_u32(f + 36, WF_VERSION);
    put_u64(f + 40, group_lsn);
    put_u32(f + 4, oio_crc32c(0, f + 8, WF_HDR_BYTES - 8 + payload));
}

/* Write the frame in frame_buf (payload bytes of records) at the tail. */
static int frame_write(oio_wal *w, uint32_t payload, uint32_t count) {
    uint64_t bytes = oio_round_up(WF_HDR_BYTES + payload, OIO_BLOCK_BYTES);
    assert(bytes <= OIO_WAL_FRAME_BYTES_MAX);
    uint64_t pos = w->tail_lsn % w->region_bytes;
    if (pos + bytes > w->region_bytes) {
        uint8_t *skip = w->frame_buf + OIO_WAL_FRAME_BYTES_MAX;
        memset(skip, 0, OIO_BLOCK_BYTES);
        frame_header(skip, w->tail_lsn, w->epoch, 0, 0, WF_KIND_SKIP, w->group_lsn);
        int rc = w->io->pwrite(w->io, skip, OIO_BLOCK_BYTES, w->region_off + pos);
        if (rc != OIO_OK) return rc;
        w->tail_lsn += w->region_bytes - pos;
        pos = 0;
    }
    assert(w->tail_lsn + bytes - w->start_lsn <= w->region_bytes);
    memset(w->frame_buf + WF_HDR_BYTES + payload, 0, bytes - WF_HDR_BYTES - payload);
    frame_header(w->frame_buf, w->tail_lsn, w->epoch, payload, count, WF_KIND_RECORDS, w->group_lsn);
    int rc = w->io->pwrite(w->io, w->frame_buf, bytes, w->region_off + pos);
    if (rc == OIO_OK) w->tail_lsn += bytes;
    return rc;
}

/* Append one group commit's records; the caller flushes once afterwards. */
int wal_append(oio_wal *w, oio_walrec *const *recs, uint64_t count) {
    assert(w != NULL && recs != NULL && count > 0 && w->frame_buf != NULL);
    w->group_lsn = w->tail_lsn;
    uint32_t payload = 0, in_frame = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t n = wal_record_bytes(recs[i]);
        if (WF_HDR_BYTES + payload + n > OIO_WAL_FRAME_BYTES_MAX) {
            int rc = frame_write(w, payload, in_frame);
            if (rc != OIO_OK) return rc;
            payload = in_frame = 0;
        }
        record_encode(recs[i], w->frame_buf + WF_HDR_BYTES + payload);
        payload += (uint32_t)n;
        in_frame++;
    }
    return frame_write(w, payload, in_frame);
}

/* Read and check the frame at lsn into frame_buf; OIO_OK only when valid. */
static int frame_read(oio_wal *w, uint64_t lsn, uint32_t *payload, uint32_t *count, uint32_t *kind) {
    uint64_t pos = lsn % w->region_bytes;
    if (lsn - w->start_lsn + OIO_BLOCK_BYTES > w->region_bytes) return OIO_NOT_FOUND;
    int rc = w->io->pread(w->io, w->frame_buf, OIO_BLOCK_BYTES, w->region_off + pos);
    if (rc != OIO_OK) return rc;
    uint8_t *f = w->frame_buf;
    *payload = get_u32(f + 24);
    *count = get_u32(f + 28);
    *kind = get_u32(f + 32);
    if (get_u32(f) != WF_MAGIC || get_u64(f + 8) != lsn || get_u64(f + 16) != w->epoch ||
        get_u32(f + 36) != WF_VERSION || *payload > OIO_WAL_FRAME_BYTES_MAX - WF_HDR_BYTES)
        return OIO_NOT_FOUND;
    uint64_t bytes = oio_round_up(WF_HDR_BYTES + *payload, OIO_BLOCK_BYTES);
    if (pos + bytes > w->region_bytes || lsn - w->start_lsn + bytes > w->region_bytes) return OIO_NOT_FOUND;
    if (bytes > OIO_BLOCK_BYTES) {
        rc = w->io->pread(w->io, f + OIO_BLOCK_BYTES, bytes - OIO_BLOCK_BYTES, w->region_off + pos + OIO_BLOCK_BYTES);
        if (rc != OIO_OK) return rc;
    }
    if (get_u32(f + 4) != oio_crc32c(0, f + 8, WF_HDR_BYTES - 8 + *payload)) return OIO_NOT_FOUND;
    if (*kind == WF_KIND_SKIP && (pos == 0 || *payload != 0)) return OIO_NOT_FOUND;
    if (*kind != WF_KIND_SKIP && *kind != WF_KIND_RECORDS) return OIO_NOT_FOUND;
    return OIO_OK;
}

int wal_replay(oio_wal *w, wal_record_fn fn, void *ctx, uint64_t *records_out) {
    assert(w != NULL && fn != NULL && records_out != NULL);
    uint64_t lsn = w->start_lsn, records = 0;
    for (;;) {
        uint32_t payload = 0, count = 0, kind = 0;
        int rc = frame_read(w, lsn, &payload, &count, &kind);
        if (rc == OIO_NOT_FOUND) break;
        if (rc != OIO_OK) return rc;
        if (kind == WF_KIND_SKIP) {
            lsn += w->region_bytes - lsn % w->region_bytes;
            continue;
        }
        uint64_t group_lsn = get_u64(w->frame_buf + 40);
        const uint8_t *p = w->frame_buf + WF_HDR_BYTES;
        uint64_t used = 0;
        int bad = 0;
        for (uint32_t i = 0; i < count && !bad; i++) {
            oio_walrec rec;
            bad = record_decode(p + used, payload - used, &rec) != OIO_OK;
            if (!bad) {
                used += wal_record_bytes(&rec);
                rec.group_lsn = group_lsn;
                rc = fn(ctx, &rec);
                if (rc != OIO_OK) return rc;
                records++;
            }
        }
        if (bad) break; /* checksummed yet malformed: treat as end of log */
        lsn += oio_round_up(WF_HDR_BYTES + payload, OIO_BLOCK_BYTES);
    }
    w->tail_lsn = lsn;
    *records_out = records;
    return OIO_OK;
}
