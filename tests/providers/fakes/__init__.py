"""Local fake servers of the providers, implementing their documented behaviour."""
