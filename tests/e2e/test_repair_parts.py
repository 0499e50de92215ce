"""Probe test: the stripes of multipart parts — of completed objects and of uploads still in
progress — are repaired like objects' own stripes, and a drain of an OSD holding part fragments
finishes.

Reproduce: ``pytest tests/e2e/test_repair_parts.py -q`` (daemon logs under the test's tmp_path/aio/logs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from tests.cli.conftest import run_cli
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import (
    all_stripes,
    body_of,
    osd_ids_by_daemon,
    records,
    start_repair_cluster,
    unhealthy_stripes,
    upload_parts,
    wait_until,
)

pytestmark = pytest.mark.e2e

PART_BYTES = 5 << 20  # S3's smallest non-last part
REPAIR_TIMEOUT_S = 90


def _upload(s3: Any, key: str, sizes: list[int], complete: bool) -> tuple[str, bytes]:
    upload_id = s3.create_multipart_upload(Bucket="mpu", Key=key)["UploadId"]
    bodies = [body_of(f"{key}-{n}", size) for n, size in enumerate(sizes, start=1)]
    etags = [
        s3.upload_part(Bucket="mpu", Key=key, UploadId=upload_id, PartNumber=n, Body=b)["ETag"]
        for n, b in enumerate(bodies, start=1)
    ]
    if complete:
        parts = [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]
        s3.complete_multipart_upload(Bucket="mpu", Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    return upload_id, b"".join(bodies)


def _holders(placements: list[list[int]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for osd_ids in placements:
        for osd_id in osd_ids:
            counts[osd_id] = counts.get(osd_id, 0) + 1
    return counts


def test_part_stripes_are_repaired_and_an_osd_holding_parts_drains(tmp_path: Path) -> None:
    cluster: AllInOne = start_repair_cluster(tmp_path / "aio", osds=8)
    try:
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="mpu")
        _, done_body = _upload(s3, "done", [PART_BYTES, (1 << 20) + 3], complete=True)
        open_id, open_body = _upload(s3, "open", [PART_BYTES, 300_000], complete=False)

        def placements() -> list[list[int]]:
            rec = records(cluster, "mpu", ["done"])["done"]
            own = [list(s.osd_ids) for _, _, s in all_stripes(rec)]
            return own + [list(s.osd_ids) for p in upload_parts(cluster, "mpu", "open", open_id) for s in p.stripes]

        names = {osd_id: name for name, osd_id in osd_ids_by_daemon(cluster).items()}
        dead = {osd_id for osd_id, _ in sorted(_holders(placements()).items(), key=lambda kv: -kv[1])[:2]}
        for osd_id in dead:
            cluster.daemons[names[osd_id]].kill()
        assert s3.get_object(Bucket="mpu", Key="done")["Body"].read() == done_body

        def unhealthy() -> list[str]:
            return [f"{ids}" for ids in placements() if any(i == 0 or i in dead for i in ids)]

        wait_until("every part stripe at k+m live fragments", unhealthy, REPAIR_TIMEOUT_S)
        assert s3.get_object(Bucket="mpu", Key="done")["Body"].read() == done_body, "after part repair"
        # The upload in progress completes with the repaired placement (meta keeps its own copy).
        parts = s3.list_parts(Bucket="mpu", Key="open", UploadId=open_id)["Parts"]
        s3.complete_multipart_upload(
            Bucket="mpu", Key="open", UploadId=open_id,
            MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]},
        )  # fmt: skip
        assert unhealthy_stripes(records(cluster, "mpu", ["open"]), dead) == []
        assert s3.get_object(Bucket="mpu", Key="open")["Body"].read() == open_body, "repaired upload part"

        for osd_id in dead:  # back for the drain: enough OSDs to move a drained one's fragments to
            cluster.daemons[names[osd_id]].start()
            cluster.daemons[names[osd_id]].wait_ready()
        recs = records(cluster, "mpu", ["done", "open"])
        holding = _holders([list(s.osd_ids) for r in recs.values() for _, _, s in all_stripes(r)])
        victim = max(holding, key=lambda osd_id: holding[osd_id])
        run_cli(cluster.data_dir, "osd", "drain", str(victim), "--interval", "0.5", "--max-seconds", "120")
        after = records(cluster, "mpu", ["done", "open"])
        assert unhealthy_stripes(after, {victim}) == [], "drain returned with part fragments left on the OSD"
        assert s3.get_object(Bucket="mpu", Key="done")["Body"].read() == done_body, "after the drain"
        assert s3.get_object(Bucket="mpu", Key="open")["Body"].read() == open_body, "after the drain"
    finally:
        cluster.stop()
