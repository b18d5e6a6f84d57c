"""codex-usage-tracker: keep the history of ChatGPT Codex rate-limit usage."""

__version__ = "0.1.0"
