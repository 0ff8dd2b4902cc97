"""`python -m threadconform ...`: the same as the `threadconform` command."""

from threadconform.cli import main

raise SystemExit(main())
