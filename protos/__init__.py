"""objectio.protos."""
