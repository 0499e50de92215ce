/*
 * superblock.c — the two superblock copies and the device layout.
 *
 * Layout (all offsets in bytes from the start of the device)
 *   0        4 KiB   superblock copy 0
 *   4096     4 KiB   superblock copy 1
 *   8192     56 KiB  reserved (zero)
 *   65536    W       WAL region, W = clamp(capacity/32, 1 MiB, 64 MiB)
 *   65536+W  rest    data region: B-tree pages and record extents
 *
 * Superblock block (little-endian)
 *   off  size  field
 *   0    8     magic "OBJIOSB1"
 *   8    4     format_version (1)
 *   12   4     crc32c of the 4 KiB block with this field as zero
 *   16   16    disk_uuid (random at format)
 *   32   16    cluster_id
 *   48   8     osd_id
 *   56   4     block_size (4096)
 *   60   4     copy index (0 or 1; must match where it was read)
 *   64   8     capacity_bytes
 *   72   8     wal_off          80  8  wal_bytes
 *   88   8     data_off         96  8  data_blocks
 *   104  8     ckpt_seq         checkpoint sequence, +1 per checkpoint
 *   112  8     root_blk         B-tree root block (0 = empty tree)
 *   120  4     tree_height      0 = empty, 1 = root is a leaf
 *   124  4     reserved
 *   128  8     wal_start_lsn    first WAL byte not covered by this ckpt
 *   136  8     wal_epoch        frames of the current WAL carry it
 *   144  8     object_count     records in the checkpointed tree
 *   152  8     next_generation  next record generation to hand out
 *   160  4     root_crc         crc32c of the root page (checked on read)
 *   164  ...   zero
 *
 * Validity: magic, version, crc and copy index all match.
 * Selection: among valid copies the one with the larger ckpt_seq wins.
 * Writing:  checkpoint n writes copy n % 2 only, after the pages it points
 *           to are flushed, so a torn superblock write leaves the other
 *           copy (checkpoint n-1, whose pages and WAL are intact) valid.
 * Invariant: both copies always carry the same static fields.
 */
#include "internal.h"

#define SB_MAGIC "OBJIOSB1"
#define SB_CRC_OFF 12u

int sb_layout(uint64_t capacity_bytes, oio_sb *sb) {
    assert(sb != NULL);
    if (capacity_bytes < OIO_DEVICE_BYTES_MIN) return OIO_INVALID;
    uint64_t wal = capacity_bytes / 32;
    if (wal < OIO_WAL_BYTES_MIN) wal = OIO_WAL_BYTES_MIN;
    if (wal > OIO_WAL_BYTES_MAX) wal = OIO_WAL_BYTES_MAX;
    wal -= wal % OIO_BLOCK_BYTES;
    sb->block_size = OIO_BLOCK_BYTES;
    sb->format_version = OIO_FORMAT_VERSION;
    sb->capacity_bytes = capacity_bytes;
    sb->wal_off = (uint64_t)OIO_SB_BLOCKS * OIO_BLOCK_BYTES;
    sb->wal_bytes = wal;
    sb->data_off = sb->wal_off + wal;
    sb->data_blocks = (capacity_bytes - sb->data_off) / OIO_BLOCK_BYTES;
    assert(sb->data_off + sb->data_blocks * OIO_BLOCK_BYTES <= capacity_bytes);
    return OIO_OK;
}

static void sb_encode(const oio_sb *sb, uint32_t copy, uint8_t *b) {
    memset(b, 0, OIO_BLOCK_BYTES);
    memcpy(b, SB_MAGIC, 8);
    put_u32(b + 8, sb->format_version);
    memcpy(b + 16, sb->disk_uuid, 16);
    memcpy(b + 32, sb->cluster_id, 16);
    put_u64(b + 48, sb->osd_id);
    put_u32(b + 56, sb->block_size);
    put_u32(b + 60, copy);
    put_u64(b + 64, sb->capacity_bytes);
    put_u64(b + 72, sb->wal_off);
    put_u64(b + 80, sb->wal_bytes);
    put_u64(b + 88, sb->data_off);
    put_u64(b + 96, sb->data_blocks);
    put_u64(b + 104, sb->ckpt_seq);
    put_u64(b + 112, sb->root_blk);
    put_u32(b + 120, sb->tree_height);
    put_u64(b + 128, sb->wal_start_lsn);
    put_u64(b + 136, sb->wal_epoch);
    put_u64(b + 144, sb->object_count);
    put_u64(b + 152, sb->next_generation);
    put_u32(b + 160, sb->root_crc);
    put_u32(b + SB_CRC_OFF, oio_block_crc(b, OIO_BLOCK_BYTES, SB_CRC_OFF));
}

static int sb_decode(const uint8_t *b, uint32_t copy, oio_sb *sb) {
    if (memcmp(b, SB_MAGIC, 8) != 0) return OIO_INVALID;
    if (get_u32(b + SB_CRC_OFF) != oio_block_crc(b, OIO_BLOCK_BYTES, SB_CRC_OFF)) return OIO_CORRUPT;
    if (get_u32(b + 8) != OIO_FORMAT_VERSION || get_u32(b + 60) != copy) return OIO_CORRUPT;
    sb->format_version = get_u32(b + 8);
    memcpy(sb->disk_uuid, b + 16, 16);
    memcpy(sb->cluster_id, b + 32, 16);
    sb->osd_id = get_u64(b + 48);
    sb->block_size = get_u32(b + 56);
    sb->capacity_bytes = get_u64(b + 64);
    sb->wal_off = get_u64(b + 72);
    sb->wal_bytes = get_u64(b + 80);
    sb->data_off = get_u64(b + 88);
    sb->data_blocks = get_u64(b + 96);
    sb->ckpt_seq = get_u64(b + 104);
    sb->root_blk = get_u64(b + 112);
    sb->tree_height = get_u32(b + 120);
    sb->wal_start_lsn = get_u64(b + 128);
    sb->wal_epoch = get_u64(b + 136);
    sb->object_count = get_u64(b + 144);
    sb->next_generation = get_u64(b + 152);
    sb->root_crc = get_u32(b + 160);
    /* a checksummed block with impossible geometry is still corrupt */
    oio_sb expect;
    if (sb->block_size != OIO_BLOCK_BYTES || sb_layout(sb->capacity_bytes, &expect) != OIO_OK ||
        expect.wal_bytes != sb->wal_bytes || expect.data_off != sb->data_off ||
        sb->tree_height > OIO_TREE_HEIGHT_MAX)
        return OIO_CORRUPT;
    return OIO_OK;
}

int sb_write(oio_io *io, const oio_sb *sb) {
    assert(io != NULL && sb != NULL);
    assert(sb->block_size == OIO_BLOCK_BYTES && sb->data_off > sb->wal_off);
    uint8_t *b = oio_buf_alloc(OIO_BLOCK_BYTES);
    if (b == NULL) return OIO_NOMEM;
    uint32_t copy = (uint32_t)(sb->ckpt_seq % 2);
    sb_encode(sb, copy, b);
    int rc = io->pwrite(io, b, OIO_BLOCK_BYTES, (uint64_t)copy * OIO_BLOCK_BYTES);
    oio_buf_free(b);
    return rc;
}

int sb_read_best(oio_io *io, oio_sb *out) {
    assert(io != NULL && out != NULL);
    uint8_t *b = oio_buf_alloc(2 * OIO_BLOCK_BYTES);
    if (b == NULL) return OIO_NOMEM;
    int rc = io->pread(io, b, 2 * OIO_BLOCK_BYTES, 0);
    if (rc != OIO_OK) {
        oio_buf_free(b);
        return rc;
    }
    oio_sb copies[2];
    int rcs[2];
    for (uint32_t c = 0; c < 2; c++) rcs[c] = sb_decode(b + c * OIO_BLOCK_BYTES, c, &copies[c]);
    oio_buf_free(b);
    if (rcs[0] != OIO_OK && rcs[1] != OIO_OK)
        return (rcs[0] == OIO_INVALID && rcs[1] == OIO_INVALID) ? OIO_INVALID : OIO_CORRUPT;
    int pick = rcs[0] != OIO_OK ? 1 : rcs[1] != OIO_OK ? 0 : copies[1].ckpt_seq > copies[0].ckpt_seq;
    *out = copies[pick];
    return OIO_OK;
}
