"""Redis: key names, the Lua scripts (lua/), the embedded server and the local cluster."""
