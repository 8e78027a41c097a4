"""``python -m unfragile_ssg``: the same command line as ``unfragile``."""

from .cli import main

main(prog_name="unfragile")
