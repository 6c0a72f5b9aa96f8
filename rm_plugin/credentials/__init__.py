"""Open Badges 3.0 credentials: the issuer, its achievements, signed credentials and their status.

``model`` builds the JSON the standard defines, ``signing`` turns a credential into a VC-JWT with
the issuer's keys (``keys``), ``status_list`` publishes revocations, ``baking`` puts a credential
into a PNG or SVG image, ``issuing`` is the service the doors and the ``badges`` connection call,
and ``verify`` checks a credential as an outside verifier would.
"""
