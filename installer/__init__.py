"""objectio.installer."""
