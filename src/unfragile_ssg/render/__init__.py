"""Turning planned pages into HTML: markdown, templates and the theme's assets."""
