"""objectio-cli with several metadata addresses: order, failover, and the error naming every address.

Real meta daemons (the all-in-one's, SQLite backend: failover does not depend on the backend) and
real dead ends: a port nobody listens on (connection refused) and a TCP listener that accepts and
never speaks (a hung host: no HTTP/2 answer, each attempt times out). Two independent meta daemons stand in for
two instances of one etcd-backed service where only the client side is under test: a read moves
to the next instance when the one in use dies, a write that was sent is reported, not repeated.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from objectio.cli.aio import AllInOne, free_port
from objectio.cli.errors import EXIT_UNREACHABLE, EXIT_USAGE, CliError
from objectio.cli.metaconn import MetaConn
from objectio.cli.target import resolve
from objectio.protos import meta_pb2
from tests.cli.conftest import aio_of, run_cli


def dead_address() -> str:
    """A loopback port with no listener (bound and closed at once: connection refused)."""
    return f"127.0.0.1:{free_port()}"


@pytest.fixture
def silent() -> Iterator[str]:
    """A listener that accepts connections and never answers: a hung meta host."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield f"127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture(scope="module")
def second_meta(meta_only: AllInOne, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    """A second, independent meta daemon with ``meta_only``'s credentials (one token for both)."""
    data_dir = tmp_path_factory.mktemp("meta-two")
    (data_dir / "credentials.json").write_bytes((meta_only.data_dir / "credentials.json").read_bytes())
    aio = aio_of(data_dir)
    try:
        aio.daemons["meta"].start()
        aio.daemons["meta"].wait_ready()
        yield aio
    finally:
        aio.stop()


def test_addresses_are_parsed_in_order_and_checked(tmp_path: Path) -> None:
    target = resolve(meta=" a:1, b:2 ,a:1", data_dir=str(tmp_path), endpoint=None, env={})
    assert target.meta_addresses == ("a:1", "b:2") and target.meta_address == "a:1,b:2"
    from_env = resolve(meta=None, data_dir=str(tmp_path), endpoint=None, env={"OBJECTIO_META": "c:3,d:4"})
    assert (from_env.meta_addresses, from_env.source) == (("c:3", "d:4"), "OBJECTIO_META")
    for bad in ("a:1,b", ",", "a:1,:2"):
        with pytest.raises(CliError) as error:
            resolve(meta=bad, data_dir=str(tmp_path), endpoint=None, env={})
        assert error.value.exit_code == EXIT_USAGE, bad
    (tmp_path / "ports.json").write_text(json.dumps({"meta": 9100, "metas": [9100, 9101]}))
    from_dir = resolve(meta=None, data_dir=str(tmp_path), endpoint=None, env={})
    assert from_dir.meta_addresses == ("127.0.0.1:9100", "127.0.0.1:9101")


def test_a_dead_first_address_fails_over_to_the_live_one(meta_only: AllInOne) -> None:
    dead, live = dead_address(), meta_only.meta_address
    status = run_cli(meta_only.data_dir, "--meta", f"{dead},{live}", "status", "--json").data
    assert status["meta_address"] == live and status["meta_addresses"] == [dead, live]
    assert [u.split(": ")[0] for u in status["meta_unreachable"]] == [dead]
    human = run_cli(meta_only.data_dir, "--meta", f"{dead},{live}", "status").stdout
    assert "DEGRADED" in human and "unreachable" in human and dead in human
    # A write that never reached the dead instance is safe to send to the next one.
    made = run_cli(meta_only.data_dir, "--meta", f"{dead},{live}", "user", "create", "failover-user", "--json").data
    assert made["name"] == "failover-user"
    # The order given is the order tried: a live first address is used; status still probes
    # (connects to, sends nothing) the ones after it and lists the dead one.
    env = {"OBJECTIO_META": f"{live},{dead}"}
    first = run_cli(meta_only.data_dir, "status", "--json", env=env).data
    assert first["meta_address"] == live and [u.split(": ")[0] for u in first["meta_unreachable"]] == [dead]
    both_live = run_cli(meta_only.data_dir, "--meta", f"{live},{live.replace('127.0.0.1', 'localhost')}",
                        "status", "--json").data  # fmt: skip
    assert both_live["meta_unreachable"] == [] and both_live["meta_address"] == live


def test_a_hung_address_costs_one_connect_timeout(meta_only: AllInOne, silent: str) -> None:
    started = time.monotonic()
    run = run_cli(meta_only.data_dir, "--meta", f"{silent},{meta_only.meta_address}", "--timeout", "2", "osd", "list")
    elapsed = time.monotonic() - started
    assert run.returncode == 0 and elapsed < 20, f"{elapsed:.1f} s"
    status = run_cli(
        meta_only.data_dir, "--meta", f"{silent},{meta_only.meta_address}", "--timeout", "2", "status", "--json"
    ).data
    assert [u.split(": ")[0] for u in status["meta_unreachable"]] == [silent]
    assert "connection failed" in status["meta_unreachable"][0] or "no connection" in status["meta_unreachable"][0]


def test_every_address_down_is_one_line_naming_each(tmp_path: Path, silent: str) -> None:
    dead = dead_address()
    run = run_cli(tmp_path, "--meta", f"{dead},{silent}", "--timeout", "2", "user", "list", check=False)
    assert run.returncode == EXIT_UNREACHABLE
    line = run.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line, run.stderr
    assert line.startswith("objectio-cli: cannot reach any of the 2 metadata services (from --meta): ")
    assert f"{dead}: connection failed" in line and f"{silent}: " in line
    assert line.index(dead) < line.index(silent), "addresses are reported in the order tried"
    env_run = run_cli(tmp_path, "status", env={"OBJECTIO_META": f"{dead},{dead_address()}"}, check=False)
    assert env_run.returncode == EXIT_UNREACHABLE and "(from OBJECTIO_META)" in env_run.stderr


def test_an_instance_dying_between_calls(meta_only: AllInOne, second_meta: AllInOne) -> None:
    """In one invocation: reads move to the next instance; a write that was sent is not repeated."""
    first, second = second_meta.meta_address, meta_only.meta_address
    target = resolve(meta=f"{first},{second}", data_dir=str(second_meta.data_dir), endpoint=None, env={})
    conn = MetaConn(target, timeout_seconds=5)
    try:
        assert conn.address == first
        before = conn.call("ListUsers", meta_pb2.Empty())
        assert any(u.is_admin for u in before.users)
        second_meta.daemons["meta"].kill()  # SIGKILL: the connected channel breaks
        users = conn.call("ListUsers", meta_pb2.Empty())  # read: repeated on the second instance
        assert conn.address == second and [a for a, _ in conn.instances.left] == [first]
        assert any(u.is_admin for u in users.users)
    finally:
        conn.close()
        second_meta.daemons["meta"].start()
        second_meta.daemons["meta"].wait_ready()
    conn = MetaConn(target, timeout_seconds=5)
    try:
        assert conn.address == first
        second_meta.daemons["meta"].kill()
        with pytest.raises(CliError) as error:
            conn.call("CreateUser", meta_pb2.CreateUserRequest(name="maybe-applied"))
        assert error.value.exit_code == EXIT_UNREACHABLE
        assert f"CreateUser failed at the metadata service at {first}" in error.value.message
        assert "may have been applied" in error.value.message
    finally:
        conn.close()
    users = run_cli(meta_only.data_dir, "--meta", second, "user", "list", "--json").data
    assert "maybe-applied" not in [u["name"] for u in users], "the write was repeated on the second instance"
