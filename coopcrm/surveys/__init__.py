"""Surveys answered from a personal email link."""
