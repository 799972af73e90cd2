"""Synthetic investigation data with planted abuse, organic traps and ground truth.

Everything here is synthetic, never real: made-up accounts, videos and
tickets for demos, notebooks, tests and benchmarks. See
:func:`generate_sample` and ``data_samples/README.md``.
"""

from tsinvest.synthetic.generate import SCALES, generate_sample, resolve_scale
from tsinvest.synthetic.switches import SWITCHES

__all__ = ["generate_sample", "resolve_scale", "SCALES", "SWITCHES"]
