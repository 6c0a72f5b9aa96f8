"""rm-plugin: reverse mentoring inside the platforms a company already runs.

Plugins implement hooks with :data:`hookimpl`; the hooks are declared in
:mod:`rm_plugin.hookspecs`.
"""

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("rm_plugin")
"""Mark a function or method as an implementation of an rm-plugin hook."""
