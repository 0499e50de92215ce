"""``objectio-install``: turn a bare-metal node into an ObjectIO node.

Discovers disks and decides which are safe to use (:mod:`disks`), renders config files and
systemd units (:mod:`render`), and applies an idempotent plan of small steps (:mod:`actions`)
that report ``created``, ``updated`` or ``unchanged``. :mod:`main` is the command line.
"""
