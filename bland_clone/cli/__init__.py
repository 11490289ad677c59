"""The command-line layer: the app (command registry), shared options, output, and one module
per command under ``commands``. Nothing below this package imports it."""
