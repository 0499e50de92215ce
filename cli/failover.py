"""Which metadata instance one CLI invocation talks to when ``--meta`` lists several.

The instances are tried in the order given. An instance is *used* once its channel is connected
(a probe of at most :data:`CONNECT_TIMEOUT_SECONDS_MAX`, cut short by the first failed attempt:
refused, unreachable, or no HTTP/2 answer within gRPC's connect timeout, which the channel options
keep short — what a single-address call without wait-for-ready sees too); one that does not
connect is *left* with the reason, and the next is tried. Each address
is tried at most once per invocation, so a command never loops. When every instance has been left,
:meth:`Instances.unreachable` is the one-line error naming each address and why it was left.

Leaving an instance after a connected call failed (UNAVAILABLE, DEADLINE_EXCEEDED) is the
caller's decision (:mod:`objectio.cli.metaconn`): only calls that are safe to repeat move on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import grpc

from objectio.cli.errors import EXIT_UNREACHABLE, CliError
from objectio.common.grpcutil import sync_channel

CONNECT_TIMEOUT_SECONDS_MAX = 5.0  # one address's connect probe (less when --timeout is shorter)


def wait_connected(channel: grpc.Channel, timeout_s: float) -> str:
    """Connect ``channel``; "" once it is READY, else why not (attempts failed, or the timeout)."""
    done = threading.Condition()
    seen: list[grpc.ChannelConnectivity] = []

    def finished() -> bool:
        return grpc.ChannelConnectivity.READY in seen or grpc.ChannelConnectivity.TRANSIENT_FAILURE in seen

    def watch(state: grpc.ChannelConnectivity) -> None:
        with done:
            seen.append(state)
            done.notify_all()

    channel.subscribe(watch, try_to_connect=True)
    try:
        with done:
            done.wait_for(finished, timeout=timeout_s)
            states = list(seen)
    finally:
        channel.unsubscribe(watch)
    if grpc.ChannelConnectivity.READY in states:
        return ""
    if grpc.ChannelConnectivity.TRANSIENT_FAILURE in states:
        return "connection failed (refused, unreachable, no HTTP/2 answer or TLS handshake failed)"
    return f"no connection after {timeout_s:g} s"


@dataclass
class Instances:
    """The metadata instances of one invocation; ``source`` says where the list came from."""

    addresses: tuple[str, ...]
    source: str
    tls_ca_file: str
    connect_timeout_s: float
    left: list[tuple[str, str]] = field(default_factory=list)  # (address, why), in order
    _index: int = 0
    _channel: grpc.Channel | None = None

    @property
    def address(self) -> str:
        """The instance in use or to be tried next ("" when every one was left)."""
        return self.addresses[self._index] if self._index < len(self.addresses) else ""

    @property
    def more(self) -> bool:
        """Whether an instance after the current one remains to be tried."""
        return self._index + 1 < len(self.addresses)

    def channel(self) -> grpc.Channel:
        """The connected channel of the current instance, moving on past those that do not connect."""
        while self._channel is None:
            if self._index >= len(self.addresses):
                raise self.unreachable()
            channel = sync_channel(self.address, self.tls_ca_file)
            why = wait_connected(channel, self.connect_timeout_s)
            if not why:
                self._channel = channel
                break
            channel.close()
            self.left.append((self.address, why))
            self._index += 1
        return self._channel

    def leave(self, why: str) -> None:
        """Stop using the current instance (a call on it failed); the next call tries the next one."""
        self.left.append((self.address, why))
        self.close()
        self._index += 1

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def probe_rest(self) -> list[tuple[str, str]]:
        """Connect-probe every instance after the current one (each channel closed at once):
        (address, "" when it connected, else why not). Nothing is sent; for ``status``."""
        probed = []
        for address in self.addresses[self._index + 1 :]:
            channel = sync_channel(address, self.tls_ca_file)
            try:
                probed.append((address, wait_connected(channel, self.connect_timeout_s)))
            finally:
                channel.close()
        return probed

    def unreachable(self) -> CliError:
        if len(self.addresses) == 1 and self.left:
            address, why = self.left[0]
            message = f"cannot reach the metadata service at {address} (from {self.source}): {why}"
            return CliError(message, EXIT_UNREACHABLE)
        tried = "; ".join(f"{address}: {why}" for address, why in self.left)
        return CliError(
            f"cannot reach any of the {len(self.addresses)} metadata services (from {self.source}): {tried}",
            EXIT_UNREACHABLE,
        )
