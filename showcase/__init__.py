"""The demo pair and the shared sample: what `make run` and `manage.py sample` make so a newcomer has
something to open at once. Above the apps it uses (videos, notes, chat, billing), which never import it."""
