"""`python -m vmtui` is the `vmtui` command."""

import sys

from vmtui.cli import main

sys.exit(main())
