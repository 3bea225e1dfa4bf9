"""Pure matching: who should meet whom, and why (no Flask)."""
