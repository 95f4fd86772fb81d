"""Best time to reach: the chance of a right-party contact by local weekday and hour."""
