"""Read-only views of the engine's state that the UI and `show` commands draw: the frame map
and the state diff between two steps.
"""
