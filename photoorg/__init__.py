"""photoorg: a private, offline-capable desktop photo organizer."""

import os

# torch's OpenMP threads spin while they wait for work by default. On a
# machine with other work (the app's own GUI thread, a browser, a second
# index), the spinning threads burn the cores the others need and wait on
# descheduled peers: measured here under load, a batch of the fp32 image tower
# took 2.1x the wall time and 2.3x the CPU, and the tag vocabulary's text
# batches 7x the wall time, against threads that sleep. Sleeping costs a few
# microseconds a parallel region on an idle machine. Set before torch loads
# (every entry point imports this package first); a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
