"""One module per command: a Typer function that parses, over a plain function that works."""
