"""Built-in host connectors, one package per host; each is a pluggy plugin."""
