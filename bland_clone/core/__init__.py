"""The core: the rules, records and files every layer reads; it imports nothing above."""
