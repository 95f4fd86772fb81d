"""Aging: days past due, buckets, late fees, penalty interest, bucket history and case membership.

The rules (rules.py) are plain Python and the single source of truth; the service streams accounts in
chunks, applies the rules, and writes each run back set-based (store.py) inside one transaction.
"""
