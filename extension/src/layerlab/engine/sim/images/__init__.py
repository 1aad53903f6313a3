"""Images: references, image records over the layer store, their configs, the image commands
(list, inspect, history, tag, remove, prune) and save/load archives."""
