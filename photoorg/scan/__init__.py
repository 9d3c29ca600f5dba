"""Finding image files, reading what they say about themselves, thumbnails."""
