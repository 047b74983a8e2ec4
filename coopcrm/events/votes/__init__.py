"""AG votes: resolutions, the majority engine, postal and in-room votes."""
