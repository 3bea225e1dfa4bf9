"""Associations (a chapter, an alumni office) and their teams: who may see and run which events."""
