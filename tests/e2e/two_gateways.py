"""Checks shared by the tests that run two gateways over one metadata store: on loopback
(tests/e2e/test_etcd_cluster.py) and on namespace hosts (tests/netns/test_etcd_hosts.py)."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config

from objectio.cli.aio import Credentials

RACE_BODY_SIZES = (2000, 300_000, 20_000, 1_200_000)  # inline, one stripe, inline-ish, several stripes


def gateway_client(credentials: Credentials, endpoint: str) -> Any:
    """A boto3 client of one gateway that does not retry (the tests count every error)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        region_name="us-east-1",
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def run_concurrently(calls: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Start every call on its own thread at once, wait for all; the exceptions they raised."""
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            call()
        except BaseException as exc:  # returned to the caller, which asserts on them
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def race_one_key(clients: Sequence[Any], bucket: str, rounds: int) -> None:
    """Each round PUTs bodies of several sizes to one key through the gateways in turn, all at
    once; afterwards every gateway serves the same one of them, byte-exact, with its ETag."""
    clients[0].create_bucket(Bucket=bucket)
    for r in range(rounds):
        key = f"same{r}"
        bodies = [os.urandom(size) for size in RACE_BODY_SIZES]
        calls = [
            functools.partial(clients[i % len(clients)].put_object, Bucket=bucket, Key=key, Body=body)
            for i, body in enumerate(bodies)
        ]
        errors = run_concurrently(calls)
        assert not errors, f"round {r}: {errors}"
        seen = set()
        for c in clients:
            got = c.get_object(Bucket=bucket, Key=key)
            data = got["Body"].read()
            assert data in bodies, f"round {r}: the body is none of the PUTs ({len(data)} bytes)"
            assert got["ETag"].strip('"') == hashlib.md5(data).hexdigest(), f"round {r}: ETag does not match the body"
            seen.add(data)
        assert len(seen) == 1, f"round {r}: the gateways disagree on the winner"
