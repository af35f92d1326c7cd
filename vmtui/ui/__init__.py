"""The Textual user interface of vmtui."""
