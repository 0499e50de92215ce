"""Multipart uploads on real processes with OSDs killed: parts written degraded, completion, and
reads across parts that must decode from parity."""

from __future__ import annotations

import random
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from tests.e2e.conftest import s3_client

pytestmark = pytest.mark.e2e

MIB = 1 << 20


def test_multipart_object_survives_dead_osds(fresh_cluster: AllInOne) -> None:
    s3: Any = s3_client(fresh_cluster)
    s3.create_bucket(Bucket="mp-faults")
    rng = random.Random(11)
    parts = [rng.randbytes(5 * MIB + 3), rng.randbytes(5 * MIB), rng.randbytes(777)]
    upload = s3.create_multipart_upload(Bucket="mp-faults", Key="obj")["UploadId"]

    def put(number: int) -> str:
        reply = s3.upload_part(
            Bucket="mp-faults", Key="obj", UploadId=upload, PartNumber=number, Body=parts[number - 1]
        )
        etag: str = reply["ETag"]
        return etag

    etags = [put(1)]
    fresh_cluster.daemons["osd2"].kill()  # the next parts are written degraded (5 of 6 fragments)
    etags += [put(2), put(3)]
    s3.complete_multipart_upload(
        Bucket="mp-faults", Key="obj", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
    )  # fmt: skip
    data = b"".join(parts)
    fresh_cluster.daemons["osd5"].kill()  # a second loss: every stripe still has k fragments
    assert s3.get_object(Bucket="mp-faults", Key="obj")["Body"].read() == data
    first, last = 5 * MIB - 100, 10 * MIB + 200  # across both part boundaries
    got = s3.get_object(Bucket="mp-faults", Key="obj", Range=f"bytes={first}-{last}")["Body"].read()
    assert got == data[first : last + 1]
