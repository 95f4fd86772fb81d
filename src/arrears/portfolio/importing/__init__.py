"""Import of accounts, contacts and payments from CSV and XLSX files."""
