"""People: checking a roster as a whole, merging sources, and applying it to the store."""
