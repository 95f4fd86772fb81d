"""Contact policy: who may be contacted, when and how often (rules, rule sets, decision log)."""
