"""Evidence from the places publishers already keep it: the Hugging Face Hub and GitHub.

``pull`` refreshes the ``signals`` of existing entries in place; ``importers`` write new
entries from a hub repository or a builder's ``unfragile.yml``. The stage sits beside
``content``: it reads entries and writes content files, and knows nothing of the build.
"""
