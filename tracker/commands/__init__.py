"""The commands, one module per area; ``tracker.cli`` assembles them into the group."""
