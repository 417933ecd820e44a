"""`python -m core_server.cli`: the same CLI without the console script (the supervisor uses it)."""

import sys

from core_server.cli.main import main

sys.exit(main())
