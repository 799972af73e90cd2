"""tsinvest: a Jupyter investigations kit for Trust & Safety teams."""

__version__ = "0.1.0"

__all__ = ["__version__"]
