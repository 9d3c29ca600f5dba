"""Staged, resumable analysis of photos: scanning, decoding, models, writing."""
