"""Files that ``runner plugins new`` copies into a new plugin package.

Each ``*.tmpl`` file is a ``string.Template``: ``$name`` (the plugin's
name), ``$module`` (its Python package), ``$dist`` (its distribution name)
and ``$kind`` are filled in, and ``MODULE`` and ``NAME`` in a path become
the module and the name. ``common/`` goes into every package, then the
directory of the kind asked for.
"""
