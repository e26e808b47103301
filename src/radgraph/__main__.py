"""``python -m radgraph``: the command line."""

from radgraph.cli import main

main()
