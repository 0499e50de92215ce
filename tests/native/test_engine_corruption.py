"""Corruption tests: bytes flipped on disk in data extents, record headers and B-tree pages.

Reads and verify() must raise CorruptionError — never return the damaged bytes — and the
store must stay usable for every other key.
"""

from __future__ import annotations

import mmap
import os

import pytest

from objectio.native.engine import BLOCK_BYTES, CHUNK_BYTES, CorruptionError, Engine


def flip(path: str, offset: int, count: int = 1) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        old = f.read(count)
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in old))
        f.flush()
        os.fsync(f.fileno())


def test_flipped_data_byte_in_large_record(image: str) -> None:
    data = os.urandom(5 * CHUNK_BYTES + 123)
    with Engine.open(image) as eng:
        eng.put(b"victim", data)
        eng.put(b"bystander", b"fine")
        header = eng._extent_offset(b"victim")
    flip(image, header + BLOCK_BYTES + 3 * CHUNK_BYTES + 17)
    with Engine.open(image) as eng:
        with pytest.raises(CorruptionError) as err:
            eng.get(b"victim")
        assert "victim" in str(err.value)
        with pytest.raises(CorruptionError):
            eng.verify(b"victim")
        with pytest.raises(CorruptionError):
            eng.get(b"victim", 3 * CHUNK_BYTES, 10)
        # chunks that were not touched still read (checksums are per 64 KiB chunk)
        assert eng.get(b"victim", 0, CHUNK_BYTES) == data[:CHUNK_BYTES]
        assert eng.get_cached(b"victim") is None  # a record with a bad chunk is never cached
        assert eng.get(b"victim", 4 * CHUNK_BYTES) == data[4 * CHUNK_BYTES :]
        assert eng.get(b"bystander") == b"fine"
        eng.put(b"new", b"still writable")
        assert eng.get(b"new") == b"still writable"
        # overwriting the damaged record repairs it
        eng.put(b"victim", b"repaired")
        assert eng.get(b"victim") == b"repaired"


def test_flipped_byte_in_small_record(image: str) -> None:
    with Engine.open(image) as eng:
        eng.put(b"small", b"x" * 5000)
        header = eng._extent_offset(b"small")
    flip(image, header + BLOCK_BYTES + 4999)
    with Engine.open(image) as eng:
        with pytest.raises(CorruptionError):
            eng.get(b"small")
        with pytest.raises(CorruptionError):
            eng.get(b"small", 0, 10)  # the whole small record is verified
        with pytest.raises(CorruptionError):
            eng.verify(b"small")


def test_flipped_header_byte(image: str) -> None:
    with Engine.open(image) as eng:
        eng.put(b"hdr", os.urandom(300000), b"meta")
        header = eng._extent_offset(b"hdr")
    flip(image, header + 300)  # inside the meta area of the header block
    with Engine.open(image) as eng:
        with pytest.raises(CorruptionError):
            eng.stat(b"hdr")
        with pytest.raises(CorruptionError):
            eng.get(b"hdr", 0, 10)
        listed = eng.scan()
        assert [i.key for i in listed] == [b"hdr"]
        assert listed[0].flags & 1 and listed[0].meta == b""


def test_verify_detects_corruption_behind_the_cache(image: str) -> None:
    eng = Engine.open(image)
    try:
        eng.put(b"cached", b"y" * 1000)
        assert eng.get(b"cached") == b"y" * 1000  # now in the ARC
        header = eng._extent_offset(b"cached")
        fd = os.open(image, os.O_RDWR | os.O_DIRECT)
        try:
            buf = mmap.mmap(-1, BLOCK_BYTES)
            os.preadv(fd, [buf], header + BLOCK_BYTES)
            buf[0] ^= 0xFF
            os.pwritev(fd, [buf], header + BLOCK_BYTES)
        finally:
            os.close(fd)
        assert eng.get(b"cached") == b"y" * 1000  # the verified cached copy
        with pytest.raises(CorruptionError):
            eng.verify(b"cached")  # scrub reads the disk
    finally:
        eng.close()


def test_flipped_btree_leaf(image: str) -> None:
    keys = [b"leafkey-%04d-" % i + b"z" * 100 for i in range(400)]
    with Engine.open(image) as eng:
        for k in keys:
            eng.put(k, k[:12])
        eng.sync()
        pages = eng._page_blocks()
    leaves = [off for off, level in pages if level == 0]
    assert len(leaves) > 3
    flip(image, leaves[len(leaves) // 2] + 2000)
    with Engine.open(image) as eng:  # open survives a corrupt page
        good = bad = 0
        for k in keys:
            try:
                assert eng.get(k) == k[:12]
                good += 1
            except CorruptionError:
                bad += 1
        assert bad > 0 and good > bad
        eng.put(b"aaa-new", b"1")  # a key routed to a healthy leaf
        assert eng.get(b"aaa-new") == b"1"
    with Engine.open(image) as eng:
        assert eng.get(b"aaa-new") == b"1"


def test_flipped_btree_root(image: str) -> None:
    with Engine.open(image) as eng:
        eng.put(b"k1", b"v1")
        eng.sync()
        ((root, level),) = eng._page_blocks()
        assert level == 0
    flip(image, root + 100)
    with Engine.open(image) as eng:
        with pytest.raises(CorruptionError):
            eng.get(b"k1")
        with pytest.raises(CorruptionError):
            eng.scan()


def test_damaged_superblock_copy_falls_back(image: str) -> None:
    with Engine.open(image) as eng:
        eng.put(b"k", b"v")
    with Engine.open(image) as eng:  # another checkpoint: both copies are recent
        eng.put(b"k2", b"v2")
    flip(image, 0, 64)
    with Engine.open(image) as eng:
        assert eng.get(b"k") == b"v"
        assert eng.get(b"k2") == b"v2"
