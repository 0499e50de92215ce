"""objectio.gateway.storage: the gateway's erasure-coded data path. It keeps the cluster map
current, places and encodes stripes, streams fragments to and from the OSDs, and commits object
records to the metadata service. The S3 layer reaches it only through ``cluster_backend``."""
