"""`python -m sim` runs the lunarsim command line."""

from sim.cli import main

main()
