"""One module per ``tsinvest`` sub-command (see :mod:`tsinvest.cli`)."""
