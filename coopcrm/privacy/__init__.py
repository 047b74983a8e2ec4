"""GDPR: consent records, audit trail, member export and anonymisation."""
