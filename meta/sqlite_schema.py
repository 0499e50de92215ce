"""The SQLite schema of the metadata store, its format versions, and connection setup.

Database file ``<data_dir>/meta.db`` in WAL mode with ``synchronous=FULL``: a transaction is
durable when COMMIT returns (its WAL frames and the commit frame are fsynced).
``PRAGMA user_version`` holds :data:`SCHEMA_VERSION`; every row also carries the format version
of its own encoding (``format_version`` column) and every protobuf blob its own
``format_version`` field, so a later release can migrate rows one at a time.

Tables (one row each):

========== ============================= ===================================================
table      key                           contents
========== ============================= ===================================================
cluster    id = 1 (single row)           cluster_id, epoch, default_pool, next_osd_id
osds       id                            disk_uuid column, ``Osd`` protobuf blob
pools      name                          ``Pool`` protobuf blob
buckets    name                          owner, pool, created_ms
objects    (bucket, key BLOB)            listing columns, then the ``ObjectRecord`` blob last
users      name                          is_admin, created_ms
access_keys access_key                   user, secret_key, created_ms
multipart_uploads (bucket, key, upload_id) initiated_ns, ``MultipartUpload`` blob
upload_parts (upload_id, part_number)    object_id, size, etag, ``PartLayout`` blob
object_parts object_id                   (bucket, key) of the completed multipart object using it
bucket_settings (bucket, name)           one opaque setting document of a bucket (policy, CORS, ...)
object_versions (bucket, key, vorder)    every version that is not the latest object of its key
========== ============================= ===================================================

Versions (:mod:`objectio.meta.sqlite_versions`): ``objects`` holds the **latest** version of each
key when it is an object — so ListObjects and GET of the latest stay one index read, and a
never-versioned bucket keeps a single row per key — while ``object_versions`` holds every other
version: older ones, and delete markers (a key whose latest version is a delete marker has no
``objects`` row). ``vorder`` (:func:`objectio.meta.versions.version_order`) sorts newest first.

Every object id that names fragments is referenced from exactly one place: ``objects.object_id``
or ``object_versions.object_id`` (a plain object), ``upload_parts.object_id`` (a part of an upload in progress) or
``object_parts.object_id`` (a part of a completed multipart object, whose ``objects`` row carries
a fresh id naming no fragments; ``object_parts`` rows stay while any version lists the part).
FindUnreferenced looks in all four.

``objects.key`` is the key's UTF-8 bytes as a BLOB: BLOBs compare with memcmp, so index order is
byte order (= code-point order, S3's listing order), and range bounds such as "the first key
after every key starting with p" can be any byte string. The listing columns come before the
record blob so a listing reads only the start of each row, never the blob's overflow pages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from objectio.meta.errors import MetaStoreError

SCHEMA_VERSION = 4  # 2: multipart tables; 3: bucket settings; 4: object versions (MIGRATIONS[v]: v -> v + 1)
ROW_FORMAT_VERSION = 1  # format_version column of every row written by this release
RECORD_FORMAT_VERSION = 1  # ObjectRecord.format_version written by this release
DB_FILE = "meta.db"
WAL_SIZE_BYTES_MAX = 64 << 20  # after a checkpoint the WAL file is truncated back to this size

SCHEMA = """
CREATE TABLE cluster (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    format_version INTEGER NOT NULL,
    cluster_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    default_pool TEXT NOT NULL,
    next_osd_id INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE osds (
    id INTEGER PRIMARY KEY,
    format_version INTEGER NOT NULL,
    disk_uuid TEXT NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX osds_disk_uuid ON osds (disk_uuid);
CREATE TABLE pools (
    name TEXT PRIMARY KEY,
    format_version INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE buckets (
    name TEXT PRIMARY KEY,
    format_version INTEGER NOT NULL,
    owner TEXT NOT NULL,
    pool TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX buckets_owner ON buckets (owner, name);
CREATE TABLE objects (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    format_version INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    version_id TEXT NOT NULL,
    object_id BLOB NOT NULL,
    pool TEXT NOT NULL,
    is_inline INTEGER NOT NULL,
    degraded_stripes INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (bucket, key)
);
CREATE INDEX objects_object_id ON objects (object_id);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    format_version INTEGER NOT NULL,
    is_admin INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE access_keys (
    access_key TEXT PRIMARY KEY,
    format_version INTEGER NOT NULL,
    user TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user);
"""

MULTIPART_SCHEMA = """
CREATE TABLE multipart_uploads (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    upload_id TEXT NOT NULL,
    format_version INTEGER NOT NULL,
    initiated_ns INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (bucket, key, upload_id)
);
CREATE INDEX multipart_uploads_initiated ON multipart_uploads (initiated_ns);
CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    object_id BLOB NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX upload_parts_object_id ON upload_parts (object_id);
CREATE TABLE object_parts (
    object_id BLOB PRIMARY KEY,
    format_version INTEGER NOT NULL,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL
);
CREATE INDEX object_parts_key ON object_parts (bucket, key);
"""

BUCKET_SETTINGS_SCHEMA = """
CREATE TABLE bucket_settings (
    bucket TEXT NOT NULL,
    name TEXT NOT NULL,
    format_version INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (bucket, name)
);
"""

# Versions other than the latest object of their key. Listing columns first (as in objects), the
# ObjectRecord blob last; vorder = versions.version_order(mtime_ns): ascending = newest first.
VERSIONS_SCHEMA = """
CREATE TABLE object_versions (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    vorder TEXT NOT NULL,
    format_version INTEGER NOT NULL,
    version_id TEXT NOT NULL,
    is_delete_marker INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    object_id BLOB NOT NULL,
    pool TEXT NOT NULL,
    is_inline INTEGER NOT NULL,
    degraded_stripes INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (bucket, key, vorder)
);
CREATE INDEX object_versions_object_id ON object_versions (object_id);
"""

# MIGRATIONS[v]: the statements that take a version-v database to version v + 1.
MIGRATIONS: dict[int, str] = {1: MULTIPART_SCHEMA, 2: BUCKET_SETTINGS_SCHEMA, 3: VERSIONS_SCHEMA}


class SchemaError(MetaStoreError):
    """The database was written by an unknown (newer) release or is not ours."""


def connect(path: Path, *, cache_bytes: int, readonly: bool) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with the durability pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA cache_size=-{max(cache_bytes // 1024, 1024)}")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_BYTES_MAX}")
    if readonly:
        conn.execute("PRAGMA query_only=1")
    return conn


def ensure_schema(conn: sqlite3.Connection, initialize: Callable[[sqlite3.Connection], None]) -> bool:
    """Create the tables in a fresh database and run ``initialize`` in the same transaction (a
    crash leaves either nothing or a complete database); check the version of an existing one.
    Returns True when the schema was just created (first start)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return False
    if version > SCHEMA_VERSION:
        raise SchemaError(f"database schema version {version} is newer than this release ({SCHEMA_VERSION})")
    if version in MIGRATIONS:
        _migrate(conn, version)
        return False
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if version != 0 or tables:
        raise SchemaError(f"database has schema version {version} and {tables} tables: not an ObjectIO meta.db")
    conn.execute("BEGIN IMMEDIATE")
    _execute_script(conn, SCHEMA + MULTIPART_SCHEMA + BUCKET_SETTINGS_SCHEMA + VERSIONS_SCHEMA)
    initialize(conn)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.execute("COMMIT")
    return True


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Upgrade from ``version`` to SCHEMA_VERSION, one transaction per step (a crash between steps
    leaves a database of an intermediate, still upgradable version)."""
    while version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        _execute_script(conn, MIGRATIONS[version])
        version += 1
        conn.execute(f"PRAGMA user_version={version}")
        conn.execute("COMMIT")
