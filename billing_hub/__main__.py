"""`python -m billing_hub`: the same CLI without the console script."""

import sys

from billing_hub.main import main

sys.exit(main())
