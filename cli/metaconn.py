"""A blocking connection to the metadata service for one CLI invocation.

Every call carries the cluster token and a fresh request id, has a deadline, and turns gRPC
failures into one-line :class:`CliError` messages with the documented exit codes. A method the
service's protocol does not define (an older or newer meta) becomes :class:`NotAvailable`.

Several instances (``--meta A,B,...``, the etcd backend): the first one that connects is used
(:mod:`objectio.cli.failover`). A call that fails UNAVAILABLE or DEADLINE_EXCEEDED moves to the
next instance and is repeated there when that is safe: a read always (a stream only before its
first item), a write only when it never left this process (the instance did not connect). A write
sent to an instance that then failed may have been applied, so it is reported, not repeated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from objectio.cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, CliError, NotAvailable
from objectio.cli.failover import CONNECT_TIMEOUT_SECONDS_MAX, Instances
from objectio.cli.target import Target
from objectio.common.grpcutil import call_metadata
from objectio.common.logs import new_request_id, request_id
from objectio.meta.client import READ_ONLY_METHODS
from objectio.protos import meta_pb2, meta_pb2_grpc

SERVICE_NAME = "MetaService"
DEFAULT_TIMEOUT_SECONDS = 10.0
REPEATABLE_METHODS = READ_ONLY_METHODS | {"Export"}  # safe to repeat on another instance
FAILOVER_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def meta_has_rpc(name: str) -> bool:
    """Whether this build's protocol defines ``MetaService.<name>``."""
    service = meta_pb2.DESCRIPTOR.services_by_name[SERVICE_NAME]
    return name in service.methods_by_name


class MetaConn:
    def __init__(self, target: Target, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.target = target
        self.timeout_seconds = timeout_seconds
        self.instances = Instances(
            target.meta_addresses,
            target.source,
            target.grpc_tls_ca_file,
            connect_timeout_s=min(timeout_seconds, CONNECT_TIMEOUT_SECONDS_MAX),
        )
        request_id.set(new_request_id())

    @property
    def address(self) -> str:
        """The instance that answers (connecting to the first that does)."""
        self.instances.channel()
        return self.instances.address

    def close(self) -> None:
        self.instances.close()

    def _stub(self) -> meta_pb2_grpc.MetaServiceStub:
        return meta_pb2_grpc.MetaServiceStub(self.instances.channel())

    def _moved_on(self, exc: grpc.RpcError, repeatable: bool) -> bool:
        """After a failed call: leave the instance and say whether to repeat the call on the next."""
        code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
        if code not in FAILOVER_CODES or not repeatable or not self.instances.more:
            return False
        self.instances.leave(_reason(exc))
        return True

    def call(self, rpc: str, request: Any) -> Any:
        if not meta_has_rpc(rpc):
            raise NotAvailable(rpc)
        metadata = call_metadata(self.target.cluster_token)
        while True:
            method = getattr(self._stub(), rpc)
            try:
                return method(request, metadata=metadata, timeout=self.timeout_seconds)
            except grpc.RpcError as exc:
                if not self._moved_on(exc, rpc in REPEATABLE_METHODS):
                    raise self._translate(rpc, exc) from None

    def stream(self, rpc: str, request: Any) -> Iterator[Any]:
        """A server-streaming call without a deadline (it lasts as long as the data)."""
        if not meta_has_rpc(rpc):
            raise NotAvailable(rpc)
        while True:
            started = False
            try:
                for item in getattr(self._stub(), rpc)(request, metadata=call_metadata(self.target.cluster_token)):
                    started = True
                    yield item
                return
            except grpc.RpcError as exc:
                if started or not self._moved_on(exc, rpc in REPEATABLE_METHODS):
                    raise self._translate(rpc, exc) from None

    def send_stream(self, rpc: str, requests: Iterator[Any]) -> Any:
        """A client-streaming call without a deadline (a write: never repeated on another instance)."""
        if not meta_has_rpc(rpc):
            raise NotAvailable(rpc)
        try:
            return getattr(self._stub(), rpc)(requests, metadata=call_metadata(self.target.cluster_token))
        except grpc.RpcError as exc:
            raise self._translate(rpc, exc) from None

    def _translate(self, rpc: str, exc: grpc.RpcError) -> CliError:
        code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = (exc.details() if isinstance(exc, grpc.Call) else "") or ""
        where = f"metadata service at {self.instances.address} (from {self.target.source})"
        if code in FAILOVER_CODES:
            self.instances.leave(_reason(exc))
            if rpc not in REPEATABLE_METHODS and len(self.instances.addresses) > 1:
                return CliError(
                    f"{rpc} failed at the {where}: {_reason(exc)}; not repeated on the other instances, "
                    f"it may have been applied (check, then run the command again)",
                    EXIT_UNREACHABLE,
                )
            return self.instances.unreachable()
        if code == grpc.StatusCode.UNAUTHENTICATED:
            return CliError(f"the {where} rejected the cluster token (set OBJECTIO_CLUSTER_TOKEN)", EXIT_UNREACHABLE)
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return NotAvailable(rpc, "the running metadata service does not implement it")
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return CliError(_first_line(details) or "invalid argument", EXIT_USAGE)
        return CliError(_first_line(details) or f"{rpc} failed: {code.name}", EXIT_FAILED)

    # ---- small typed helpers used by several commands ----------------------------------------

    def cluster_map(self) -> meta_pb2.ClusterMap:
        result: meta_pb2.ClusterMap = self.call("GetClusterMap", meta_pb2.GetClusterMapRequest())
        return result

    def status(self) -> meta_pb2.ClusterStatus:
        result: meta_pb2.ClusterStatus = self.call("GetStatus", meta_pb2.Empty())
        return result


def _reason(exc: grpc.RpcError) -> str:
    code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return "timed out"
    details = (exc.details() if isinstance(exc, grpc.Call) else "") or ""
    return _first_line(details) or code.name


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
