"""Renderers: report data in, text out. None of them knows which check it renders."""
