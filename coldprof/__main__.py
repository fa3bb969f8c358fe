"""`python -m coldprof`: the command line."""

from coldprof.cli import main

main()
