/*
 * extent.c — one record on disk: a header block followed by data blocks.
 *
 * A record of L data bytes occupies 1 + ceil(L / 4096) contiguous blocks.
 *
 * Header block (4 KiB, little-endian)
 *   off   size  field
 *   0     4     magic "OIXH"
 *   4     2     format version (1)
 *   6     2     key_len (<= 256)
 *   8     8     self_blk: device block number of this header
 *   16    4     length: data bytes (<= 8 MiB)
 *   20    2     meta_len (<= 2048)
 *   22    2     chunk_count = ceil(length / 64 KiB)
 *   24    4     crc32c of all data bytes
 *   28    4     flags (0, reserved)
 *   32    256   key (zero padded)
 *   288   2048  meta: opaque caller bytes (zero padded) — lets a shard
 *               describe itself to a scrubber that has only the disk
 *   2336  512   chunk_crc[128]: crc32c of each 64 KiB data chunk (the last
 *               one over its real length, padding excluded)
 *   2848  1248  zero
 * Data blocks: the data bytes, zero padded to the block boundary.
 *
 * Validity: the crc32c of the whole header block equals hdr_crc, which is
 * stored OUTSIDE the block (in the B-tree leaf and the WAL record); magic,
 * version and self_blk match; lengths within limits.  A data chunk is
 * valid when its crc32c equals chunk_crc[i] of a valid header.  Because
 * the checksums live one level up, a write that landed on the wrong block
 * (misdirected) or never landed (lost) is detected, not just bit rot.
 *
 * Invariant: a range read verifies every chunk it touches and nothing
 * outside them, so reading 4 KiB of an 8 MiB record reads <= 128 KiB.
 */
#include "internal.h"

#define XH_MAGIC 0x4858494Fu /* "OIXH" */
#define XH_VERSION 1u
#define XH_KEY_OFF 32u
#define XH_META_OFF 288u
#define XH_CHUNKS_OFF 2336u

uint64_t extent_blocks(uint64_t length) {
    assert(length <= OIO_EXTENT_BYTES_MAX);
    return 1 + oio_div_up(length, OIO_BLOCK_BYTES);
}

uint32_t extent_build(uint8_t *buf, uint64_t blk, const uint8_t *key, uint32_t key_len,
                      const uint8_t *meta, uint32_t meta_len, const uint8_t *data, uint32_t length,
                      uint32_t *data_crc_out) {
    assert(buf != NULL && key != NULL && data_crc_out != NULL && blk != 0);
    assert(key_len > 0 && key_len <= OIO_KEY_BYTES_MAX && meta_len <= OIO_META_BYTES_MAX);
    assert(length <= OIO_EXTENT_BYTES_MAX && (length == 0 || data != NULL) && (meta_len == 0 || meta));
    uint64_t total = extent_blocks(length) * OIO_BLOCK_BYTES;
    memset(buf, 0, OIO_BLOCK_BYTES);
    if (length > 0) memcpy(buf + OIO_BLOCK_BYTES, data, length);
    memset(buf + OIO_BLOCK_BYTES + length, 0, total - OIO_BLOCK_BYTES - length);
    uint32_t chunks = (uint32_t)oio_div_up(length, OIO_CHUNK_BYTES);
    uint32_t whole = 0;
    for (uint32_t c = 0; c < chunks; c++) {
        uint32_t n = length - c * OIO_CHUNK_BYTES < OIO_CHUNK_BYTES ? length - c * OIO_CHUNK_BYTES : OIO_CHUNK_BYTES;
        const uint8_t *p = buf + OIO_BLOCK_BYTES + (uint64_t)c * OIO_CHUNK_BYTES;
        uint32_t crc = oio_crc32c(0, p, n);
        put_u32(buf + XH_CHUNKS_OFF + 4 * c, crc);
        if (c == 0) whole = crc;
        else if (n == OIO_CHUNK_BYTES) whole = oio_crc32c_combine_chunk(whole, crc);
        else whole = oio_crc32c_combine(whole, crc, n);
    }
    put_u32(buf, XH_MAGIC);
    put_u16(buf + 4, XH_VERSION);
    put_u16(buf + 6, (uint16_t)key_len);
    put_u64(buf + 8, blk);
    put_u32(buf + 16, length);
    put_u16(buf + 20, (uint16_t)meta_len);
    put_u16(buf + 22, (uint16_t)chunks);
    put_u32(buf + 24, whole);
    memcpy(buf + XH_KEY_OFF, key, key_len);
    if (meta_len > 0) memcpy(buf + XH_META_OFF, meta, meta_len);
    *data_crc_out = whole;
    return oio_crc32c(0, buf, OIO_BLOCK_BYTES);
}

int extent_parse_header(const uint8_t *b, uint64_t blk, uint32_t hdr_crc, oio_xhdr *out) {
    assert(b != NULL && out != NULL && blk != 0);
    if (oio_crc32c(0, b, OIO_BLOCK_BYTES) != hdr_crc) return OIO_CORRUPT;
    if (get_u32(b) != XH_MAGIC || get_u16(b + 4) != XH_VERSION || get_u64(b + 8) != blk) return OIO_CORRUPT;
    out->self_blk = blk;
    out->key_len = get_u16(b + 6);
    out->length = get_u32(b + 16);
    out->meta_len = get_u16(b + 20);
    out->chunk_count = get_u16(b + 22);
    out->data_crc = get_u32(b + 24);
    out->flags = get_u32(b + 28);
    if (out->key_len == 0 || out->key_len > OIO_KEY_BYTES_MAX || out->meta_len > OIO_META_BYTES_MAX ||
        out->length > OIO_EXTENT_BYTES_MAX || out->chunk_count != oio_div_up(out->length, OIO_CHUNK_BYTES))
        return OIO_CORRUPT;
    memcpy(out->key, b + XH_KEY_OFF, out->key_len);
    memcpy(out->meta, b + XH_META_OFF, out->meta_len);
    for (uint32_t c = 0; c < out->chunk_count; c++) out->chunk_crc[c] = get_u32(b + XH_CHUNKS_OFF + 4 * c);
    return OIO_OK;
}

/* data points at the first byte of chunk first_chunk. */
int extent_check_chunks(const oio_xhdr *h, const uint8_t *data, uint32_t first_chunk, uint32_t last_chunk) {
    assert(h != NULL && data != NULL && first_chunk <= last_chunk && last_chunk < h->chunk_count);
    for (uint32_t c = first_chunk; c <= last_chunk; c++) {
        uint64_t start = (uint64_t)c * OIO_CHUNK_BYTES;
        uint64_t n = h->length - start < OIO_CHUNK_BYTES ? h->length - start : OIO_CHUNK_BYTES;
        if (oio_crc32c(0, data + (start - (uint64_t)first_chunk * OIO_CHUNK_BYTES), n) != h->chunk_crc[c])
            return OIO_CORRUPT;
    }
    return OIO_OK;
}
