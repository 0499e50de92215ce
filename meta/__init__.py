"""objectio.meta: the metadata service — the cluster's source of truth.

Reading order:

* ``config``       MetaConfig: every option and limit, with units and relations checked.
* ``errors``       the domain errors, mapped onto gRPC codes in ``service`` and back in ``client``.
* ``store``        MetaStore, the persistence contract (another backend can replace SQLite).
* ``sqlite_schema``, ``sqlite_ops``, ``sqlite_store``  the SQLite implementation (WAL, FULL sync).
* ``sqlite_multipart``  uploads in progress and their parts; what FindUnreferenced must keep.
* ``versions``     version ids, their newest-first order, the bucket's versioning setting.
* ``sqlite_versions``, ``sqlite_version_scan``, ``version_listing``  versioned put/delete/get,
  delete markers and tags; ListObjectVersions and the repair scan over every version.
* ``expiry``       forgets abandoned multipart uploads (their parts become garbage for OSD GC).
* ``writer``       group commit: many concurrent writes, one transaction, one fsync.
* ``listing``      ListObjects as range reads, common prefixes skipped by seeking.
* ``cluster``      the live cluster map, its watchers, and OSD down detection.
* ``names``        light validation of bucket/user/key names; generated credentials.
* ``service``      the MetaService gRPC servicer.
* ``server``       wiring: store + first-start bootstrap + servicer + auth + health.
* ``main``         the ``objectio-meta`` daemon.
* ``client``       MetaClient, the typed async client used by gateways, OSDs and the CLI.
* ``repair``       the repair manager (background task): scans (objects, multipart parts, upload
  parts), queue, reports, status; also runs the rebalance passes.
* ``repair_planner``, ``repair_stripe``, ``sqlite_repair``  what a stripe repair reads and where
  it writes (pure), rebuilding one stripe, and the compare-and-set of its record (found by the
  fragments' object id: an object's or a part's).
* ``rebalance``    moving fragments toward the current placement after an OSD is added.
* ``osd_links``, ``scrub_relay``, ``repair_metrics``  meta's calls to the OSDs, StartScrub /
  GetScrubStatus relayed to them, Prometheus gauges of repair.

See ``docs/meta.md``.
"""
