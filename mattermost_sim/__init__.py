"""A simulated Mattermost server for tests, benchmarks and the demo."""

from .app import Simulator
from .state import SimState

__all__ = ["SimState", "Simulator"]
