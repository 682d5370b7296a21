"""What every page and API route shares: rendering pages, mapping errors to answers, reading forms."""
