"""Loading reference and demo data (`coopcrm seed ...`)."""
