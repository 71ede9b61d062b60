"""Database layer: declarative Base, engine and sessions for SQLite and PostgreSQL, migrations runner."""
