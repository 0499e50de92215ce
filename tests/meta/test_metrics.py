"""Cluster health as the metrics report it."""

from __future__ import annotations

from objectio.common.pools import DEFAULT_POOLS
from objectio.meta.metrics import HEALTH_DEGRADED, HEALTH_OK, HEALTH_UNAVAILABLE, cluster_health
from objectio.protos import meta_pb2 as pb


def cluster(up: int, down: int) -> pb.ClusterMap:
    osds = [pb.Osd(id=i + 1, up=pb.OSD_UP if i < up else pb.OSD_DOWN) for i in range(up + down)]
    pools = [spec.to_proto() for spec in DEFAULT_POOLS]
    return pb.ClusterMap(osds=osds, pools=pools, default_pool="rs-4-2")


def test_health_follows_up_osds_and_degraded_stripes() -> None:
    assert cluster_health(cluster(6, 0), degraded_stripes=0) == HEALTH_OK
    assert cluster_health(cluster(6, 0), degraded_stripes=3) == HEALTH_DEGRADED
    assert cluster_health(cluster(5, 1), degraded_stripes=0) == HEALTH_DEGRADED  # write quorum k+1 = 5 still met
    assert cluster_health(cluster(4, 2), degraded_stripes=0) == HEALTH_UNAVAILABLE
    assert cluster_health(pb.ClusterMap(), degraded_stripes=0) == HEALTH_UNAVAILABLE  # no OSD at all
