"""objectio.native."""
