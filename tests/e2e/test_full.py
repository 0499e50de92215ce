"""Probe test of a full cluster: small OSD disks are filled through S3 until PUTs are refused
with 507 InsufficientStorage; every acknowledged object still reads byte-exact; deleting objects
gives the space back and PUTs succeed again.

Reproduce: ``pytest tests/e2e/test_full.py -q`` (daemon logs under the test's tmp_path/aio/logs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne, free_port
from objectio.protos import meta_pb2
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import FAST_REPAIR_ENV, body_of, run

pytestmark = pytest.mark.e2e

DISK_SIZE_BYTES = 48 << 20  # small on purpose: the cluster fills in a few dozen PUTs
OBJECT_BYTES = (2 << 20) + 11  # one stripe of RS 4+2: ~512 KiB on each of the 6 OSDs
PUTS_MAX = 200  # far more than fits: the loop must end with 507 long before


def test_a_full_cluster_refuses_puts_with_507_and_recovers_after_deletes(tmp_path: Path) -> None:
    env = {**FAST_REPAIR_ENV, "OBJECTIO_META_OSD_FULL_RATIO": "0.8"}
    cluster = AllInOne(tmp_path / "aio", port=free_port(), osds=6, disk_size_bytes=DISK_SIZE_BYTES, extra_env=env)
    try:
        cluster.start()
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="fill")
        stored: dict[str, bytes] = {}
        refused: ClientError | None = None
        for n in range(PUTS_MAX):
            key = f"f-{n}"
            body = body_of(key, OBJECT_BYTES)
            try:
                s3.put_object(Bucket="fill", Key=key, Body=body)
            except ClientError as exc:
                refused = exc
                break
            stored[key] = body
        assert refused is not None, f"{PUTS_MAX} PUTs of {OBJECT_BYTES} bytes fit on 6 x {DISK_SIZE_BYTES} bytes"
        error = refused.response["Error"]
        assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 507, refused.response
        assert error["Code"] == "InsufficientStorage", error
        assert len(stored) >= 10, f"only {len(stored)} objects fit before the cluster was full"
        cmap: meta_pb2.ClusterMap = run(cluster, lambda meta: meta.get_cluster_map())
        assert any(osd.full for osd in cmap.osds), "no OSD is flagged full"
        with pytest.raises(ClientError) as again:  # still full: refused again, cleanly
            s3.put_object(Bucket="fill", Key="again", Body=body_of("again", OBJECT_BYTES))
        assert again.value.response["ResponseMetadata"]["HTTPStatusCode"] == 507
        assert s3.put_object(Bucket="fill", Key="tiny", Body=b"inline")  # inline objects live in meta
        for key, body in stored.items():
            assert s3.get_object(Bucket="fill", Key=key)["Body"].read() == body, f"{key} while full"

        deleted = list(stored)[: len(stored) // 2]
        for key in deleted:
            s3.delete_object(Bucket="fill", Key=key)
            del stored[key]
        deadline = time.monotonic() + 60
        while True:
            try:
                s3.put_object(Bucket="fill", Key="after", Body=body_of("after", OBJECT_BYTES))
                break
            except ClientError as exc:
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 507, exc.response
                assert time.monotonic() < deadline, "space not given back 60 s after deleting half the objects"
                time.sleep(0.5)
        stored["after"] = body_of("after", OBJECT_BYTES)
        for key, body in stored.items():
            assert s3.get_object(Bucket="fill", Key=key)["Body"].read() == body, f"{key} after the deletes"
    finally:
        cluster.stop()
