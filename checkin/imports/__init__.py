"""Importing a guest list from a spreadsheet: the file, its values, the stored upload."""
