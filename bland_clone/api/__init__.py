"""The client for Bland's voice API: transport, answers, endpoints and the upload plan.

Nothing here imports from the command-line layer.
"""
