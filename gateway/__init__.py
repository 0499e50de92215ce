"""objectio.gateway — the S3 protocol layer.

It translates S3 and nothing else; storage is reached only through :class:`backend.Backend`
(optionally :class:`backend.MultipartBackend`, :class:`backend.VersioningBackend`). A request
flows through one module per stage:

* ``request``   — parse the HTTP request into one :class:`request.S3Request` naming the operation
                  (path or virtual-host style; keys are opaque strings, never paths);
* ``auth``      — SigV4 header and presigned auth (``sigv4`` pure maths, ``verify`` the check) and
                  aws-chunked decoding with chunk/trailer signatures (``chunked``);
* ``body``      — the request body as verified, bounded pieces (length, payload sha256, checksums);
* ``dispatch``  — one table from operation to handler;
* ``handlers``  — one module per family: bucket, put, get, copy, delete, list, multipart,
                  versioning, tagging, attributes (with the pure codecs ``versioning`` and
                  ``tagging`` of this package).

``errors`` holds one class per S3 error code and the single mapping from backend exceptions.
``app`` is the ASGI application (``create_app``: request ids, access log, metrics, health);
``server`` and ``main`` serve it with Hypercorn (``objectio-gateway``). Limits live in ``config``.
"""
