"""Audio: reading recordings truthfully, judging them, and preparing samples.

Nothing here imports from the command-line layer (``bland_clone.cli``/``commands``).
Modules: ``inspection`` (what a file is, its true length), ``mp3`` (MP3 frame walking),
``quality`` (the checks that make a clone sound like the person), ``prepare`` (turn a
recording into a good sample).
"""
