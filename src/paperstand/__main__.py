"""``python -m paperstand``."""

from paperstand.cli import main

main()
