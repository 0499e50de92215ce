"""objectio.gateway — the S3 protocol layer.

It translates S3 and nothing else; storage is reached only through :class:`backend.Backend`.
A request flows through four stages, one module each:

* ``request``   — parse the HTTP request into one :class:`request.S3Request` naming the operation;
* ``auth``      — verify SigV4 (header or presigned) and decode aws-chunked bodies (``body``);
* ``dispatch``  — one table from operation to handler;
* ``handlers``  — one module per operation family (bucket, put, get, delete, list).

``errors`` holds one class per S3 error code and the single mapping from backend exceptions.
``app`` wires it into an ASGI application (``create_app``); ``main`` serves it with Hypercorn.
"""
