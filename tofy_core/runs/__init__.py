"""Run folders and the files in them: create, list, open, validate, lock, summarise, delete."""
