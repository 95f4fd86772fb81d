"""The portfolio simulator: synthetic debtors and collectors driving the real engines on a simulated clock."""
