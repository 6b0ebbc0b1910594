"""``python -m ala`` runs the command line."""

import sys

from ala.cli import main

sys.exit(main())
