"""What runs inside a simulated container: the busybox shell and applets, the process table
and the other programs the images carry."""
