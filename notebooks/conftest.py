"""pytest settings for running the bundled notebooks with nbval.

The kernels nbval starts inherit this process's environment: progress bars
are switched off so stderr holds nothing volatile to compare.
"""

import os

os.environ["TQDM_DISABLE"] = "1"
