"""Files shipped with Tofy: the default corpus and the TUI stylesheet."""
