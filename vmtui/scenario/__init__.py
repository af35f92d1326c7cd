"""The command language, the TOML scenario loader and the player."""
