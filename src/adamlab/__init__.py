"""adamlab: the Adam family of optimizers in NumPy, with networks, tasks and a lab.

Subpackages are imported on demand so that ``import adamlab`` (and the command
line's ``--help``) stays fast::

    from adamlab import optim, nn
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
