"""``objectio-cli meta backup|restore|rebuild``: surviving the loss of the metadata store.

``backup FILE`` streams a consistent snapshot of everything meta holds (``Export``) into a
checksummed file (:mod:`objectio.cli.backup_file`); ``restore FILE`` checks the whole file, then
streams it into a metadata service (``Import``: an empty store takes it all, a non-empty one
merges, newest object version wins). ``rebuild`` recreates bucket and object records from the
OSDs alone: it scans every OSD's shard metadata (``ScanShardMeta``), reads the newest readable
descriptor of each key and imports the records (:mod:`objectio.cli.rebuild` plans it). The
procedure is in docs/operations.md, "Disaster recovery".
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import grpc

from objectio.cli import backup_file, rebuild
from objectio.cli.context import Context
from objectio.cli.errors import EXIT_FAILED, EXIT_USAGE, CliError
from objectio.cli.output import Result
from objectio.common.grpcutil import call_metadata, sync_channel
from objectio.common.pools import PoolSpec
from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.gateway.storage import descriptor
from objectio.protos import meta_pb2, osd_pb2, osd_pb2_grpc

OSD_CALL_TIMEOUT_SECONDS = 30.0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    meta = sub.add_parser("meta", help="metadata backup, restore and rebuild").add_subparsers(
        dest="action", required=True
    )
    backup = meta.add_parser("backup", parents=[common], help="write a consistent snapshot of all metadata")
    backup.add_argument("file", type=Path, help="backup file to write (replaced atomically)")
    backup.set_defaults(func=meta_backup)
    restore = meta.add_parser("restore", parents=[common], help="load a backup into the metadata service")
    restore.add_argument("file", type=Path, help="backup file written by `meta backup`")
    restore.set_defaults(func=meta_restore)
    rebuild_cmd = meta.add_parser("rebuild", parents=[common], help="recreate buckets and objects from the OSDs")
    rebuild_cmd.add_argument("--dry-run", action="store_true", help="scan and report, import nothing")
    rebuild_cmd.set_defaults(func=meta_rebuild)


def meta_backup(ctx: Context, args: argparse.Namespace) -> Result:
    count = backup_file.write(args.file, ctx.meta().stream("Export", meta_pb2.ExportRequest()))
    return Result({"file": str(args.file), "items": count, "bytes": args.file.stat().st_size})


def meta_restore(ctx: Context, args: argparse.Namespace) -> Result:
    try:
        count = backup_file.verify(args.file)
    except (OSError, backup_file.BackupFileError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    reply = ctx.meta().send_stream("Import", backup_file.read(args.file))
    return Result({"file": str(args.file), "items": count, "imported": reply.imported, "skipped": reply.skipped})


def meta_rebuild(ctx: Context, args: argparse.Namespace) -> Result:
    target = ctx.target()
    cmap = ctx.meta().cluster_map()
    pools = {p.name: PoolSpec.from_proto(p) for p in cmap.pools}
    stubs: dict[int, osd_pb2_grpc.OsdServiceStub] = {}
    channels = []
    index = rebuild.ScanIndex()
    unreachable: dict[str, str] = {}
    try:
        for osd in cmap.osds:
            channel = sync_channel(osd.address, target.grpc_tls_ca_file)
            channels.append(channel)
            stubs[osd.id] = osd_pb2_grpc.OsdServiceStub(channel)
            try:
                for stat in stubs[osd.id].ScanShardMeta(
                    osd_pb2.ScanShardMetaRequest(), metadata=call_metadata(target.cluster_token)
                ):
                    index.add(osd.id, stat)
            except grpc.RpcError as exc:
                unreachable[str(osd.id)] = f"{exc.code().name}: {exc.details()}"
        buckets, records, lost = _choose(index, pools, lambda v: _read_descriptor(stubs, target.cluster_token, v))
    finally:
        for channel in channels:
            channel.close()
    described = set().union(*(rebuild.described_ids(r) for r in records)) if records else set()
    data: dict[str, Any] = {
        "osds_scanned": len(cmap.osds) - len(unreachable),
        "osds_unreachable": unreachable,
        "shards_scanned": index.shards,
        "keys_found": len(index.versions),
        "buckets": len(buckets),
        "objects": len(records),
        "keys_unrecoverable": [f"{b}/{k}" for b, k in lost],
        "object_ids_without_record": len(index.undescribed(described)),
    }
    if not args.dry_run:
        items = [meta_pb2.MetaItem(bucket=b) for b in buckets] + [meta_pb2.MetaItem(object=r) for r in records]
        reply = ctx.meta().send_stream("Import", iter(items))
        data.update(imported=reply.imported, skipped=reply.skipped)
    return Result(data, exit_code=EXIT_FAILED if unreachable or lost else 0)


def _choose(
    index: rebuild.ScanIndex, pools: dict[str, PoolSpec], read: Any
) -> tuple[list[meta_pb2.Bucket], list[meta_pb2.ObjectRecord], list[tuple[str, str]]]:
    """Per key, the newest descriptor that reads, decodes and whose fragments are readable."""
    buckets: dict[str, meta_pb2.Bucket] = {}
    records: list[meta_pb2.ObjectRecord] = []
    lost: list[tuple[str, str]] = []
    for name in index.names():
        for version in index.newest_first(name):
            found: meta_pb2.ObjectDescriptor | None = read(version)
            pool = pools.get(found.record.pool) if found is not None else None
            if found is None or pool is None:
                continue
            record = rebuild.rebuilt_record(found, version, index, pool.fragments)
            if not record.is_inline and not rebuild.readable(record, pool.k):
                continue
            records.append(record)
            bucket = buckets.setdefault(found.bucket.name, found.bucket)
            bucket.created_ms = min(bucket.created_ms, found.bucket.created_ms)
            break
        else:
            lost.append(name)
    return [buckets[name] for name in sorted(buckets)], records, lost


def _read_descriptor(
    stubs: dict[int, osd_pb2_grpc.OsdServiceStub], token: str, version: rebuild.DescriptorVersion
) -> meta_pb2.ObjectDescriptor | None:
    """The first copy that reads and decodes; None when none does."""
    for osd_id, copy in version.copies:
        address = osd_pb2.ShardAddress(object_id=version.object_id, stripe_index=DESCRIPTOR_STRIPE, fragment_index=copy)
        try:
            reply = stubs[osd_id].ReadShards(
                osd_pb2.ReadShardsRequest(reads=[osd_pb2.ShardRead(address=address)]),
                metadata=call_metadata(token),
                timeout=OSD_CALL_TIMEOUT_SECONDS,
            )
        except grpc.RpcError:
            continue
        result = reply.results[0]
        if result.status != osd_pb2.SHARD_OK:
            continue
        try:
            return descriptor.decode(result.data)
        except ValueError:
            continue
    return None
