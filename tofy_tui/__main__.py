"""`python -m tofy_tui`: the terminal studio."""

from tofy_tui.app import main

main()
