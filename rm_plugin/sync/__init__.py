"""Outbox and sync: every fact that must reach a host is a keyed row, delivered through the hooks."""
