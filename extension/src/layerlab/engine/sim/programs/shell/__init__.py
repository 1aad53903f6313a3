"""The POSIX shell language as busybox ash reads it: lexer, syntax tree and parser."""
