"""A form's unsaved input, kept in the profile when the terminal goes away and offered back.

The use case the forms and the app share; what is kept, and for how long, is `db.drafts`.
"""

from __future__ import annotations

from db.drafts import Draft, discard, keep, waiting

__all__ = ["Draft", "discard", "keep", "waiting"]
