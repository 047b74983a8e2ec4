"""Paper letters: one merged print-ready PDF, address labels, a file for a printing house.

Below the domains that write to members by post (events, campaigns): it imports
core, members' model and blocks' stored images, and knows nothing of who calls it.
"""
