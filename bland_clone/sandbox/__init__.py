"""A local stand-in of Bland's voice API that follows the contract (``bland-clone sandbox``)."""

from .server import Sandbox, SandboxState, make_server

__all__ = ["Sandbox", "SandboxState", "make_server"]
