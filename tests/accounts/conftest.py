"""The accounts tests' world: organizers, and guests with personal links (built in each module)."""
