"""The demo's ingredients: a default face, a small workspace to ask about, and the launcher that
puts the avatar into a built-in room (``selfcast demo``)."""
