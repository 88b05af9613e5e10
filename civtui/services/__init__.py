"""Use cases shared by the CLI and the screens (profiles, records, drafts, reports, sync, the
demo), and `reads`: the store's queries the screens may call, since they never import `db`."""
