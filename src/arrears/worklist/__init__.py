"""The live work queue: work items, leases, attempts, outcomes, call-backs and call scripts."""
