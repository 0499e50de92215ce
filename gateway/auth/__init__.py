"""SigV4 authentication: ``sigv4`` (pure signing maths and parsing), ``chunked`` (aws-chunked body
decoding with per-chunk signatures and trailers) and ``verify`` (checks a request against the
secret the backend holds for its access key)."""
