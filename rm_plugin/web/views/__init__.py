"""One blueprint per audience: ``lti`` (what platforms call), ``participant``, ``admin``."""
