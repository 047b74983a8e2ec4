"""Saved member filters: the audience shared by campaigns, surveys, events and exports."""
