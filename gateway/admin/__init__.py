"""Administration: install and check the procedures, grants, API keys, a drifted archive."""
