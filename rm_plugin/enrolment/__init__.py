"""Programmes and the applications people make to them (before matching)."""
