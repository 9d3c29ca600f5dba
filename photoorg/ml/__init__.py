"""Models: the CLIP registry, weights, devices and encoders.

Nothing here imports torch or open_clip at module import time, so the window
opens fast; they load on first use.
"""
