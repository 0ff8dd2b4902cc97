"""One module per contract: its route, argument parsing and response shapes."""
