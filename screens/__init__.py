"""Textual screens and their styles; they reach data only through `civtui.services` (writes
as its use cases, reads through `civtui.services.reads`) and the domain models."""
