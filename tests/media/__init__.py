"""The test media generator now lives in `sage.synthetic_media` (production's demo and sample use it
too); this re-export remains only for test files still importing it from here."""

from sage.synthetic_media import *  # noqa: F403
from sage.synthetic_media import __all__ as __all__
