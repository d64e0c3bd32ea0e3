"""Run the command line as ``python -m redline``."""

from redline.cli import main

main()
