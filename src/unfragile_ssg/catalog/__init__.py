"""Facts derived from the whole catalog: scores and rank, the match graph, verdicts."""
