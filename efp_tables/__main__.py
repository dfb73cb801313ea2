"""`python -m efp_tables ...` is `efp ...`."""
import sys

from efp_tables.cli import main

sys.exit(main())
