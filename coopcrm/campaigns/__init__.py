"""Campaigns: a message to a segment, by email or by letter, with a per-recipient ledger."""
