"""`python -m core_server`: run the core."""

from core_server.app import main

main()
