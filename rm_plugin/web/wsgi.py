"""The entry point for a production WSGI server::

    RM_PLUGIN_SITE=/srv/rm-site gunicorn --config python:rm_plugin.web.gunicorn_conf 'rm_plugin.web.wsgi:app'

or, with the site given as an argument, the factory ``'rm_plugin.web.wsgi:create("/srv/rm-site")'``.
Each worker loads the site (config, plugins, database) once at import.
"""

from __future__ import annotations

from flask import Flask

from rm_plugin.logs import configure
from rm_plugin.site import Site, find_site_root
from rm_plugin.web.app import create_app


def create(site_dir: str | None = None) -> Flask:
    """The portal for the site at ``site_dir`` (default: ``RM_PLUGIN_SITE``, else the current directory)."""
    import logging

    configure(logging.INFO)
    return create_app(Site.load(find_site_root(site_dir)))


def __getattr__(name: str) -> Flask:
    # ``app`` is built on first access, so importing this module for ``create`` loads no site.
    if name == "app":
        app = create()
        globals()["app"] = app
        return app
    raise AttributeError(name)
