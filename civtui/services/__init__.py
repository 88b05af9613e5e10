"""Use cases shared by the CLI and the screens: profiles, credentials, reports, the demo."""
