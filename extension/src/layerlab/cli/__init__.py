"""The docker CLI port: argument parsing, commands and output rendering."""
