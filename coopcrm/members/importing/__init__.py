"""Importing the member file: read, check, merge and write rows; the upload pages."""
