"""Operations: what a command does, as plain functions over the core, ``audio`` and ``api``.
They take plain values and return typed results; they never import the command-line layer."""
