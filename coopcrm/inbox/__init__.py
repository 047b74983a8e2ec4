"""The unsubscribe mailbox: mailto unsubscribes, delivery reports, and the rest for referents."""
