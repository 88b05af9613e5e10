"""The domain: records, choices, the visit policy and the rules they obey. Imports no store."""
