"""Arrears: an open-source debt-collections platform."""

__version__ = "0.1.0"
