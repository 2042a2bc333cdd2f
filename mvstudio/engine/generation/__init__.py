"""Generation providers (offline twins and cloud) behind small protocols."""
