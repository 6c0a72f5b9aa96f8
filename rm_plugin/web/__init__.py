"""The web side: the LTI 1.3 tool a learning platform launches, and the portal pages behind it.

``create_app(site)`` (in :mod:`rm_plugin.web.app`) builds the WSGI application; gunicorn serves
``rm_plugin.web.wsgi:app``; ``rm-plugin serve`` runs it for development.
"""
