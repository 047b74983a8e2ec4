"""The member file: entities, residences, colleges, members, social shares."""
