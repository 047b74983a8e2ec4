"""Referents and administrators: users, roles, entity scope, login."""
