"""The real-engine adapter: a Docker daemon through the SDK's APIClient, with the ledger of what
LayerLab made on a shared engine."""
