"""Whole-database backup and restore (`coopcrm backup`, `coopcrm restore`)."""
