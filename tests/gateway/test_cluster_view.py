"""The gateway's placement candidates follow meta's ``Osd.full`` flag, and a lost write quorum
caused by full disks is told apart from other failures (507 vs 503)."""

from __future__ import annotations

from objectio.gateway.storage.cluster_map import ClusterView
from objectio.gateway.storage.writer import QuorumLost
from objectio.protos import meta_pb2 as pb


async def _no_fetch() -> pb.ClusterMap:
    return pb.ClusterMap()


def test_full_osds_are_no_candidates_and_are_counted() -> None:
    view = ClusterView(_no_fetch)
    cmap = pb.ClusterMap(epoch=3)
    for osd_id in range(1, 7):
        osd = cmap.osds.add(id=osd_id, address=f"a{osd_id}", host=f"h{osd_id}", up=pb.OSD_UP, weight=1.0)
        osd.full = osd_id in (2, 5)
    cmap.osds[5].up = pb.OSD_DOWN  # down and not full: neither a candidate nor counted as full
    view.apply(cmap)
    assert [c.osd_id for c in view.candidates()] == [1, 3, 4]
    assert view.full_count() == 2


def test_quorum_lost_to_full_disks_is_out_of_space() -> None:
    assert QuorumLost("only 3 of 6 fragments written (osd 2: WriteShards: disk full)").out_of_space
    assert not QuorumLost("only 3 of 6 fragments written (osd 2: connection refused)").out_of_space
