"""Payments: allocation rules (and later reversals, reconciliation)."""
