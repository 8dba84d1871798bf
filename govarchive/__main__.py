"""`python -m govarchive` runs the command line."""

from govarchive.cli import main

main()
