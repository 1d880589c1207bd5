"""Talking to a Convex deployment: HTTP for calls, the official client for subscriptions, Convex JSON encoding."""

from .auth import TokenProvider, TokenSource
from .encoding import Int64, from_convex_json, to_convex_json
from .http import ConvexHttp
from .subscribe import Subscriber

__all__ = ["ConvexHttp", "Int64", "Subscriber", "TokenProvider", "TokenSource", "from_convex_json",
           "to_convex_json"]
