"""Streamlit glue: cached state, background jobs, widgets (the only package importing it)."""
