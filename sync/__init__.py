"""Sync between a profile's change log and the central server (see DESIGN.md).

The protocol, client and server arrive with the sync issue; this package must
never import Textual or the screens.
"""
