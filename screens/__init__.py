"""Textual screens and their styles; they reach data only through `db` and the domain models."""
