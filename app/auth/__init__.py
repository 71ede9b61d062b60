"""Users, API keys, principals, role dependencies and region scoping."""
