"""Exports rendered from Jinja2 templates; a site's ``exports/`` folder overrides defaults by name."""

from rm_plugin.exports.renderer import Renderer, TemplateProblem

__all__ = ["Renderer", "TemplateProblem"]
