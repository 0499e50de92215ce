"""objectio.osd: one daemon per disk. It serves OsdService over gRPC, storing fragments through
the native engine (``store``), registers with the metadata service under the OSD id kept in the
disk's superblock, and heartbeats its capacity.

Background work on the disk: ``gc`` (orphan fragments: no record names their object),
``reconcile`` (stale copies: the record places the fragment elsewhere), ``scrub`` (verify every
fragment, rate-limited) and ``quarantine`` (corrupt fragments set aside, never deleted)."""
