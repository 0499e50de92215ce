"""``StartScrub`` / ``GetScrubStatus`` of MetaService: relayed to every (chosen) up OSD.

Scrubbing itself runs on each OSD (``osd/scrub.py``); meta only knows where the OSDs are, so
the CLI asks meta and meta asks them all at once. An OSD that cannot be reached is listed with
``reachable = false`` and the error, never silently left out.
"""

from __future__ import annotations

import asyncio

from grpc import aio

from objectio.meta.osd_links import OsdLinks
from objectio.protos import meta_pb2 as pb
from objectio.protos import osd_pb2


def _status(osd_id: int, reply: osd_pb2.ScrubStatus) -> pb.OsdScrubStatus:
    return pb.OsdScrubStatus(
        osd_id=osd_id,
        reachable=True,
        running=reply.running,
        passes_completed=reply.passes_completed,
        shards_verified=reply.shards_verified,
        shards_corrupt=reply.shards_corrupt,
        bytes_verified=reply.bytes_verified,
        quarantined=reply.quarantined,
        pass_started_ms=reply.pass_started_ms,
        pass_finished_ms=reply.pass_finished_ms,
    )


async def _ask(links: OsdLinks, osd_id: int, start: bool) -> pb.OsdScrubStatus:
    stub = links.stub(osd_id)
    if stub is None:
        return pb.OsdScrubStatus(osd_id=osd_id, error="no address")
    try:
        if start:
            reply = await stub.StartScrub(osd_pb2.StartScrubRequest(), metadata=links.metadata, timeout=links.timeout_s)
        else:
            reply = await stub.GetScrubStatus(
                osd_pb2.GetScrubStatusRequest(), metadata=links.metadata, timeout=links.timeout_s
            )
    except aio.AioRpcError as exc:
        return pb.OsdScrubStatus(osd_id=osd_id, error=f"{exc.code().name}: {exc.details()}")
    return _status(osd_id, reply)


async def relay(links: OsdLinks, cmap: pb.ClusterMap, osd_ids: list[int], *, start: bool) -> pb.ScrubStatusReply:
    """Ask the listed OSDs (empty: every up OSD) to start a pass, or for their status."""
    wanted = set(osd_ids)
    chosen = [o.id for o in cmap.osds if (o.id in wanted if wanted else o.up == pb.OSD_UP)]
    statuses = await asyncio.gather(*(_ask(links, osd_id, start) for osd_id in chosen))
    return pb.ScrubStatusReply(osds=statuses)
