"""Sync between a profile's change log and the central server (see docs/architecture.md).

The wire (`protocol`), the client behind `civtui sync`, bundles and the server
(`sync.server`); this package must never import Textual or the screens.
"""
