"""The seedable synthetic demo portfolio."""
