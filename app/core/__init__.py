"""Cross-cutting pieces: settings, errors, security primitives, clock, shared schema types."""
