"""objectio.cli."""
