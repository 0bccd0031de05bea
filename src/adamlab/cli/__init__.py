"""The ``adamlab`` command line: the only part of adamlab that writes to the
terminal."""
