"""What every command handler receives: the parsed flags and lazy access to the cluster.

Nothing connects until a handler asks, so usage errors never wait on the network.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from objectio.cli.metaconn import MetaConn
from objectio.cli.output import Result
from objectio.cli.target import Target, resolve


@dataclass
class Context:
    args: argparse.Namespace
    _target: Target | None = field(default=None, init=False)
    _meta: MetaConn | None = field(default=None, init=False)

    @property
    def as_json(self) -> bool:
        return bool(self.args.json)

    def target(self) -> Target:
        if self._target is None:
            self._target = resolve(
                meta=self.args.meta,
                data_dir=self.args.data_dir,
                endpoint=getattr(self.args, "endpoint", None),
                env=os.environ,
            )
        return self._target

    def meta(self) -> MetaConn:
        if self._meta is None:
            self._meta = MetaConn(self.target(), timeout_seconds=self.args.timeout)
        return self._meta

    def close(self) -> None:
        if self._meta is not None:
            self._meta.close()


Handler = Callable[[Context, argparse.Namespace], Result]
