"""Unit tests of every engine operation and its error paths."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from enginetest import CLUSTER_ID, make_image

from objectio.native import engine as E
from objectio.native.engine import (
    CorruptionError,
    DeviceBusyError,
    Engine,
    EngineError,
    NotFoundError,
    ShardInfo,
)


def test_limits_come_from_c() -> None:
    assert E.KEY_BYTES_MAX == 256
    assert E.META_BYTES_MAX == 2048
    assert E.EXTENT_BYTES_MAX == 8 << 20
    assert E.BLOCK_BYTES == 4096
    assert E.CACHE_BYTES_DEFAULT == 64 << 20
    assert E.INFLIGHT_WRITERS_MAX > 0 and E.WAL_BYTES_MAX >= E.WAL_BYTES_MIN


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 63, 64, 3071, 3072, 3073, 4095, 4096, 6151, 65537, 1 << 20])
def test_crc32c_hardware_and_software_agree(size: int) -> None:
    data = os.urandom(size)
    sw = E.crc32c_software(data)
    assert E.crc32c(data) == sw
    hw = E.crc32c_hardware(data)
    if hw is not None:
        assert hw == sw
    assert E.crc32c_software(data[size // 2 :], E.crc32c_software(data[: size // 2])) == sw


def test_crc32c_check_value() -> None:
    assert E.crc32c_software(b"123456789") == 0xE3069283
    assert E.crc32c(b"123456789") == 0xE3069283


def test_format_reports_superblock(tmp_path: Path) -> None:
    path = tmp_path / "d.img"
    with open(path, "wb") as f:
        f.truncate(32 << 20)
    cid = str(uuid.uuid4())
    info = Engine.format(str(path), osd_id=42, cluster_id=cid)
    assert info.osd_id == 42 and info.cluster_id == cid
    assert info.block_size == 4096 and info.capacity_bytes == 32 << 20
    assert info.format_version == E.FORMAT_VERSION
    uuid.UUID(info.disk_uuid)
    with Engine.open(str(path)) as eng:
        assert eng.superblock() == info


def test_format_refuses_formatted_engine_without_force(image: str) -> None:
    with pytest.raises(DeviceBusyError):
        Engine.format(image, osd_id=1, cluster_id=CLUSTER_ID)
    Engine.format(image, osd_id=1, cluster_id=CLUSTER_ID, force=True)


def test_format_refuses_too_small(tmp_path: Path) -> None:
    path = tmp_path / "small.img"
    with open(path, "wb") as f:
        f.truncate(1 << 20)
    with pytest.raises(EngineError) as err:
        Engine.format(str(path), osd_id=1, cluster_id=CLUSTER_ID)
    assert str(path) in str(err.value)


def test_open_unformatted_fails(tmp_path: Path) -> None:
    path = tmp_path / "raw.img"
    with open(path, "wb") as f:
        f.truncate(16 << 20)
    with pytest.raises(EngineError):
        Engine.open(str(path))


def test_open_twice_is_busy(image: str) -> None:
    with Engine.open(image) as eng:
        with pytest.raises(DeviceBusyError):
            Engine.open(image)
        with pytest.raises(DeviceBusyError):
            Engine.format(image, osd_id=1, cluster_id=CLUSTER_ID, force=True)
        # the refused opens must not have touched the open engine's descriptor
        eng.put(b"still", b"mine")
        assert eng.get(b"still") == b"mine"


def test_put_get_stat(engine: Engine) -> None:
    info = engine.put(b"shard/1", b"hello world", b"meta!")
    assert info == ShardInfo(
        key=b"shard/1", length=11, crc32c=E.crc32c(b"hello world"), generation=info.generation, flags=0, meta=b"meta!"
    )
    assert engine.get(b"shard/1") == b"hello world"
    assert engine.stat(b"shard/1") == info


def test_empty_record(engine: Engine) -> None:
    engine.put(b"empty", b"")
    assert engine.get(b"empty") == b""
    assert engine.stat(b"empty").length == 0
    engine.verify(b"empty")


def test_buffer_types(engine: Engine) -> None:
    data = os.urandom(10000)
    engine.put(b"ba", bytearray(data))
    engine.put(b"mv", memoryview(data)[100:200])
    assert engine.get(b"ba") == data
    assert engine.get(b"mv") == data[100:200]


@pytest.mark.parametrize("size", [1, 4096, 65536, 65537, 131072, 300000, 3 << 20])
def test_ranged_get(engine: Engine, size: int) -> None:
    data = os.urandom(size)
    info = engine.put(b"r", data)
    assert info.crc32c == E.crc32c_software(data) == engine.stat(b"r").crc32c
    assert engine.get(b"r") == data
    for off, length in [(0, 1), (size // 3, 5000), (size - 1, 1), (size, 10), (0, size + 100)]:
        assert engine.get(b"r", off, length) == data[off : off + length]
    assert engine.get(b"r", size // 2) == data[size // 2 :]
    with pytest.raises(EngineError):
        engine.get(b"r", size + 1)


def test_overwrite_increments_generation(engine: Engine) -> None:
    first = engine.put(b"k", b"one")
    second = engine.put(b"k", b"two two", b"m")
    assert second.generation > first.generation
    assert engine.get(b"k") == b"two two"
    assert engine.stat(b"k").meta == b"m"
    assert engine.stats().object_count == 1


def test_delete(engine: Engine) -> None:
    engine.put(b"k", b"v")
    engine.delete(b"k")
    with pytest.raises(NotFoundError):
        engine.get(b"k")
    with pytest.raises(NotFoundError):
        engine.stat(b"k")
    with pytest.raises(NotFoundError) as err:
        engine.delete(b"k")
    assert "b'k'" in str(err.value)
    assert err.value.code == 1


def test_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        engine.get(b"missing")
    with pytest.raises(NotFoundError):
        engine.verify(b"missing")


def test_limits_rejected(engine: Engine) -> None:
    engine.put(b"x" * 256, b"ok", b"m" * 2048)
    assert engine.stat(b"x" * 256).meta == b"m" * 2048
    with pytest.raises(EngineError):
        engine.put(b"x" * 257, b"v")
    with pytest.raises(EngineError):
        engine.put(b"k", b"v", b"m" * 2049)
    with pytest.raises(EngineError):
        engine.put(b"", b"v")
    with pytest.raises(EngineError):
        engine.put(b"k", bytes(E.EXTENT_BYTES_MAX + 1))
    with pytest.raises(EngineError):
        engine.get(b"y" * 300)


def test_max_extent(engine: Engine) -> None:
    data = os.urandom(E.EXTENT_BYTES_MAX)
    engine.put(b"max", data)
    assert engine.get(b"max") == data
    engine.verify(b"max")


def test_put_many(engine: Engine) -> None:
    before = engine.stats()
    items = [(b"pm/%03d" % i, os.urandom(i * 10), b"meta%d" % i) for i in range(100)]
    infos = engine.put_many(items)
    assert [i.key for i in infos] == [k for k, _, _ in items]
    after = engine.stats()
    assert after.group_commits - before.group_commits == 1
    for key, data, meta in items:
        assert engine.get(key) == data
        assert engine.stat(key).meta == meta
    assert engine.put_many([]) == []


def test_put_many_larger_than_wal_frame(engine: Engine) -> None:
    items = [(b"k" * 200 + b"%05d" % i, b"d", b"") for i in range(3000)]
    engine.put_many(items)
    assert len(engine.scan(limit=5000)) == 3000


def test_scan_order_prefix_and_paging(engine: Engine) -> None:
    keys = [b"a/1", b"a/2", b"a/10", b"b/1", b"a", b"ab", b"c"]
    for k in keys:
        engine.put(k, k, b"m" + k)
    assert [i.key for i in engine.scan()] == sorted(keys)
    assert [i.key for i in engine.scan(prefix=b"a/")] == [b"a/1", b"a/10", b"a/2"]
    assert [i.key for i in engine.scan(prefix=b"a/", start_after=b"a/10")] == [b"a/2"]
    assert [i.key for i in engine.scan(start_after=b"ab", limit=2)] == [b"b/1", b"c"]
    assert [i.key for i in engine.scan(prefix=b"zz")] == []
    assert engine.scan(prefix=b"c")[0].meta == b"mc"


def test_scan_many_pages(engine: Engine) -> None:
    keys = sorted(b"key-%06d" % (i * 7919 % 5000) for i in range(5000))
    for i in range(0, len(keys), 500):
        engine.put_many([(k, b"", b"") for k in keys[i : i + 500]])
    seen: list[bytes] = []
    after = b""
    while True:
        page = engine.scan(start_after=after, limit=777)
        if not page:
            break
        seen += [i.key for i in page]
        after = page[-1].key
    assert seen == keys
    assert engine.stats().btree_pages > 10


def test_reopen_keeps_everything(image: str) -> None:
    data = {b"k%04d" % i: os.urandom(i * 37) for i in range(500)}
    with Engine.open(image) as eng:
        for k, v in data.items():
            eng.put(k, v, k)
        eng.delete(b"k0000")
        del data[b"k0000"]
    with Engine.open(image) as eng:
        for k, v in data.items():
            assert eng.get(k) == v
            assert eng.stat(k).meta == k
        assert eng.stats().object_count == len(data)


def test_reopen_without_close_replays_wal(image: str) -> None:
    eng = Engine.open(image)
    eng.put(b"a", b"1")
    eng.put(b"b", b"2")
    eng.delete(b"a")
    # A crash: the image is copied while the engine is open (no closing checkpoint);
    # the copy holds only what the WAL made durable.
    copy = image + ".copy"
    with open(image, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    with Engine.open(copy) as again:
        assert again.get(b"b") == b"2"
        with pytest.raises(NotFoundError):
            again.get(b"a")
        assert again.stats().replayed_records >= 3
    eng.close()


def test_verify_and_sync(engine: Engine) -> None:
    engine.put(b"v", os.urandom(200000))
    engine.verify(b"v")
    engine.sync()
    assert engine.stats().wal_bytes == 0
    engine.verify(b"v")


def test_stats_track_space(engine: Engine) -> None:
    s0 = engine.stats()
    engine.put(b"big", bytes(1 << 20))
    s1 = engine.stats()
    assert s1.used_bytes - s0.used_bytes >= 1 << 20
    assert s1.free_bytes + s1.used_bytes == s1.capacity_bytes
    engine.delete(b"big")
    s2 = engine.stats()
    assert s2.used_bytes < s1.used_bytes
    assert s2.flushes > s0.flushes


def test_closed_engine_raises(image: str) -> None:
    eng = Engine.open(image)
    eng.close()
    eng.close()
    with pytest.raises(E.ClosedError):
        eng.get(b"k")


def test_corruption_error_is_engine_error() -> None:
    assert issubclass(CorruptionError, EngineError)


def test_helper_image(tmp_path: Path) -> None:
    path = make_image(tmp_path / "x.img", 16 << 20)
    with Engine.open(path) as eng:
        assert eng.stats().capacity_bytes == 16 << 20
