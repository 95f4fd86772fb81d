"""Users, roles, teams, agencies, sessions and the hash-chained audit trail."""
