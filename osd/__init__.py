"""objectio.osd."""
