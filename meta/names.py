"""Light validation of names the metadata service stores, and generated credentials.

Bucket names follow S3's DNS-compatible rules closely enough for path- and virtual-host-style
addressing; the gateway may apply stricter checks of its own.
"""

from __future__ import annotations

import re
import secrets
import string

from objectio.meta.errors import InvalidArgument

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_USER = re.compile(r"^[A-Za-z0-9_.@+=,-]{1,64}$")
_ACCESS_KEY = re.compile(r"^[A-Za-z0-9]{3,128}$")
SECRET_KEY_CHARS_MIN = 8
SECRET_KEY_CHARS_MAX = 128
ACCESS_KEY_CHARS = 20  # the length of AWS access key ids
SECRET_KEY_CHARS = 40  # the length of AWS secret keys


def check_bucket_name(name: str) -> None:
    if not _BUCKET.match(name) or ".." in name or ".-" in name or "-." in name or _IPV4.match(name):
        raise InvalidArgument(f"invalid bucket name {name!r}: 3-63 of a-z 0-9 . -, starting and ending alphanumeric")


_SETTING = re.compile(r"[a-z][a-z0-9_]{0,63}")
BUCKET_SETTINGS_MAX = 32  # named settings one bucket may hold


def check_bucket_settings(settings: dict[str, bytes], value_bytes_max: int) -> None:
    if len(settings) > BUCKET_SETTINGS_MAX:
        raise InvalidArgument(f"a bucket holds at most {BUCKET_SETTINGS_MAX} settings")
    for name, value in settings.items():
        if not _SETTING.fullmatch(name):
            raise InvalidArgument(f"invalid bucket setting name {name!r}: [a-z][a-z0-9_]{{0,63}}")
        if len(value) > value_bytes_max:
            raise InvalidArgument(f"bucket setting {name!r} is {len(value)} bytes; at most {value_bytes_max}")


def check_user_name(name: str) -> None:
    if not _USER.match(name):
        raise InvalidArgument(f"invalid user name {name!r}: 1-64 of letters, digits and _.@+=,-")


def check_access_key(access_key: str) -> None:
    if not _ACCESS_KEY.match(access_key):
        raise InvalidArgument(f"invalid access key {access_key!r}: 3-128 letters or digits")


def check_secret_key(secret_key: str) -> None:
    ok = SECRET_KEY_CHARS_MIN <= len(secret_key) <= SECRET_KEY_CHARS_MAX
    if not ok or not all(c.isascii() and c.isprintable() and not c.isspace() for c in secret_key):
        raise InvalidArgument(
            f"invalid secret key: {SECRET_KEY_CHARS_MIN}-{SECRET_KEY_CHARS_MAX} printable ASCII characters, no spaces"
        )


def new_access_key() -> str:
    return "OIO" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(ACCESS_KEY_CHARS - 3))


def new_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(secrets.choice(alphabet) for _ in range(SECRET_KEY_CHARS))
