"""`python -m sandbox ...`: the same command as the `golive-sandbox` console script."""
import sys

from sandbox.cli import main

sys.exit(main())
