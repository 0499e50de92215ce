"""Code shared by every ObjectIO service: configuration loading, structured logging,
erasure-coding profiles and pools, placement, and small helpers. Nothing here does I/O on
storage or talks to another service."""
