"""Sub-commands of ``python -m specpkg``: one module each.

A module here defines ``NAME`` (the sub-command), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. The dispatcher in
``specpkg.__main__`` finds every such module; nothing else needs editing.
"""
