"""tsinvest: a Jupyter investigations kit for Trust & Safety teams."""

import warnings as _warnings

# With the `spark` extra installed, pandera imports pyspark.pandas at its own
# import, and PySpark then warns about pandas 3 every time: that text would be
# printed into every notebook (and fail nbval). Only this message is silenced.
_warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

__version__ = "0.1.0"

__all__ = ["__version__"]
