"""The classic builder: Dockerfile parsing and checks, .dockerignore, the build context, each
instruction's step, the cache, and docker commit (whose -c changes are Dockerfile instructions)."""
