"""Files that ``runner plugins new`` writes into a new plugin package.

Each ``*.tmpl`` file is a ``string.Template``: ``$name`` (the plugin's
name), ``$module`` (its Python package), ``$dist`` (its distribution
name), ``$what`` (its kinds, in words) and the rest that
``runner.scaffold`` fills in; ``MODULE`` and ``NAME`` in a path become the
module and the name. ``package/`` goes into every package. Each kind's
folder adds its files (``MODULE/...``) and ``hook.py.tmpl``, its part of
``MODULE/__init__.py``: a package holds one or several kinds.
"""

__all__ = []
