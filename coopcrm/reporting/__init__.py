"""Read-only aggregate queries and the referent's dashboard."""
