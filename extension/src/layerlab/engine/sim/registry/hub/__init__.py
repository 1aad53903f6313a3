"""The simulated Docker Hub: its official images as recipes and the file trees their layers hold."""
