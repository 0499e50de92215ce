"""objectio.gateway.storage: the gateway's erasure-coded data path. It keeps the cluster map
current, places and encodes stripes, streams fragments to and from the OSDs, and commits object
records to the metadata service. The S3 layer reaches it only through ``cluster_backend`` (and
its multipart half, ``cluster_multipart``); ``parts`` maps a byte range of a multipart object
onto the parts that hold it."""
