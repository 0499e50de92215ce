"""The rebuild planner and the backup file format, without a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from objectio.cli import backup_file, rebuild
from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.protos import meta_pb2, osd_pb2

OID_OLD = bytes(range(16))
OID_NEW = bytes(range(1, 17))


def _stat(object_id: bytes, stripe: int, fragment: int, **meta: object) -> osd_pb2.ShardStat:
    return osd_pb2.ShardStat(
        address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=stripe, fragment_index=fragment),
        meta=osd_pb2.ShardMeta(**meta),  # type: ignore[arg-type]
    )


def _descriptor_stat(object_id: bytes, copy: int, mtime_ns: int) -> osd_pb2.ShardStat:
    return _stat(
        object_id, DESCRIPTOR_STRIPE, copy, kind=osd_pb2.SHARD_DESCRIPTOR, bucket="b", key="k", mtime_ns=mtime_ns
    )


def test_newest_version_first_and_placements_from_the_scan() -> None:
    index = rebuild.ScanIndex()
    index.add(1, _descriptor_stat(OID_OLD, 0, mtime_ns=5))
    index.add(2, _descriptor_stat(OID_NEW, 0, mtime_ns=9))
    index.add(3, _descriptor_stat(OID_NEW, 1, mtime_ns=9))
    for fragment, osd_id in enumerate([1, 2, 3, 4, 5, 6]):
        index.add(osd_id, _stat(OID_NEW, 0, fragment))
    index.add(7, _stat(OID_NEW, 0, 2))  # a copy repair left behind on osd 7
    assert index.names() == [("b", "k")]
    versions = index.newest_first(("b", "k"))
    assert [v.object_id for v in versions] == [OID_NEW, OID_OLD]
    assert versions[0].copies == [(2, 0), (3, 1)]
    written = meta_pb2.ObjectRecord(
        bucket="b", key="k", object_id=OID_NEW, stripes=[meta_pb2.StripePlacement(osd_ids=[1, 2, 7, 0, 5, 6])]
    )
    descriptor = meta_pb2.ObjectDescriptor(format_version=1, record=written)
    record = rebuild.rebuilt_record(descriptor, versions[0], index, width=6)
    assert list(record.stripes[0].osd_ids) == [1, 2, 7, 4, 5, 6]  # the record's choice kept, the gap filled
    assert list(record.descriptor_osd_ids) == [2, 3]
    assert rebuild.readable(record, k=4)
    assert index.undescribed(rebuild.described_ids(record)) == []


def test_a_stripe_with_fewer_than_k_fragments_is_unreadable() -> None:
    index = rebuild.ScanIndex()
    index.add(1, _descriptor_stat(OID_NEW, 0, mtime_ns=1))
    for fragment in range(3):
        index.add(fragment + 1, _stat(OID_NEW, 0, fragment))
    written = meta_pb2.ObjectRecord(object_id=OID_NEW, stripes=[meta_pb2.StripePlacement(osd_ids=[0] * 6)])
    version = index.newest_first(("b", "k"))[0]
    record = rebuild.rebuilt_record(meta_pb2.ObjectDescriptor(record=written), version, index, width=6)
    assert not rebuild.readable(record, k=4)


def test_backup_file_round_trip_and_damage(tmp_path: Path) -> None:
    path = tmp_path / "meta.bak"
    items = [meta_pb2.MetaItem(user=meta_pb2.User(name=f"u{i}")) for i in range(3)]
    assert backup_file.write(path, iter(items)) == 3
    assert list(backup_file.read(path)) == items
    data = bytearray(path.read_bytes())
    data[12] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(backup_file.BackupFileError, match="checksum"):
        backup_file.verify(path)
    path.write_bytes(bytes(data[:-9]))
    with pytest.raises(backup_file.BackupFileError):
        backup_file.verify(path)
