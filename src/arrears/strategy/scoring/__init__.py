"""Propensity to pay: the chance of a payment within 30 days, with reason codes (model or scorecard)."""
