"""unfragile-ssg: compile a catalog of AI artifacts into a static site."""

__version__ = "0.1.0"
