"""The central sync server (install with the `server` extra); it never imports screens."""
