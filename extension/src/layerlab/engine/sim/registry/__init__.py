"""Registries: pull and push, private registries' storage and manifests, and the simulated
Docker Hub."""
