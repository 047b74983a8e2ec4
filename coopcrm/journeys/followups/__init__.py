"""Follow-up rules, what they schedule, and the courtesy-visit planning page."""
