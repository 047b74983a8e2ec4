"""The newsletter cycle: issues N°1–N°3, yearly editions, who is due when; public archive."""
