"""objectio.osd: one daemon per disk. It serves OsdService over gRPC, storing fragments through
the native engine (``store``), registers with the metadata service under the OSD id kept in the
disk's superblock, and heartbeats its capacity."""
