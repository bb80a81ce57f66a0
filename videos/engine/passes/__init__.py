"""The engine's passes, one a module, in the order videos.engine.pipeline runs them."""
