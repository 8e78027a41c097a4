"""Running the stages in order: load, validate, enrich, plan, render, write, post."""
