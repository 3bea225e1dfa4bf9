"""The matching tests' world: profiles in memory, and guests who typed tags (built per module)."""
