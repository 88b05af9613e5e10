"""civtui: offline-first home-visit records for village civil-affairs staff."""

__version__ = "0.1.0"
