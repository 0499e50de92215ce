"""A TCP forwarder from the test process into a host namespace: how tests talk to the cluster.

The test process stays in the root namespace (pytest, boto3, gRPC and their threads all open
sockets there). A :class:`Forwarder` listens on ``127.0.0.1:<port>`` there and, from a thread that
moved itself into a *client* namespace (``setns`` is per thread), opens the matching connection to
``target_host:target_port`` across the bridge. So every byte between client and cluster crosses
the namespaces' network exactly as it would from a client machine, and the root namespace only
sees loopback. Connections are forwarded byte for byte by two pump threads each (no buffering
beyond one ``recv``), and a refused or unreachable target closes the local connection at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.netns.network import inside

RECV_BYTES_MAX = 256 << 10
CONNECT_TIMEOUT_SECONDS = 5.0
ACCEPT_POLL_SECONDS = 0.2


class Forwarder:
    def __init__(self, client_netns: str, target_host: str, target_port: int) -> None:
        self.client_netns = client_netns
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))  # this thread: the root namespace
        self._listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._serve, name=f"forward-{target_host}:{target_port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        with inside(self.client_netns):  # this thread only; sockets it creates live in the client namespace
            while not self._closed.is_set():
                try:
                    local, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return  # listener closed
                try:
                    remote = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_SECONDS)
                except OSError:
                    local.close()
                    continue
                remote.settimeout(None)
                local.settimeout(None)
                with self._lock:
                    self._open.update((local, remote))
                finished = [0]
                for src, dst in ((local, remote), (remote, local)):
                    threading.Thread(target=self._pump, args=(src, dst, finished), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, finished: list[int]) -> None:
        """Copy src → dst until EOF (then half-close dst) or an error (then end both directions)."""
        try:
            while chunk := src.recv(RECV_BYTES_MAX):
                dst.sendall(chunk)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            _shutdown(src, dst)
        with self._lock:
            finished[0] += 1
            if finished[0] == 2:  # both directions done: the connection is over
                for sock in (src, dst):
                    self._open.discard(sock)
                    sock.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        self._thread.join(timeout=5)
        with self._lock:
            _shutdown(*self._open)  # wakes the pumps, which close their sockets


def _shutdown(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
