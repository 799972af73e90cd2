import sys

from tsinvest.cli import main

sys.exit(main())
