"""Members across an association's events: remembered only with consent (README)."""
