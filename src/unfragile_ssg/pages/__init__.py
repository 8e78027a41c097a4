"""The plan stage: every output page, its URL and a fingerprint of the inputs it shows."""
