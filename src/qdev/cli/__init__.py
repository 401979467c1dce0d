"""Thin typer commands: parse arguments, call the core, render the result. No logic lives here."""
