"""`python -m sim`: the `dcsim` command."""

from sim.cli import main_entry

main_entry()
