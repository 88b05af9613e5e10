"""civtui: offline-first home-visit records for village civil-affairs staff."""

import os

__version__ = "0.1.0"

# civtui uses no pydantic plugins. Looking for them reads every installed package's metadata
# when the first model is built, at every start; a plugin found would see every record
# validated, ID numbers included. Set before any model is built, and left alone if the
# environment says otherwise.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
